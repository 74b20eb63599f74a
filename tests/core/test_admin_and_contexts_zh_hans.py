"""zh-hans where a msgid has two meanings, and in Django admin: the right Chinese for each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import translation

from org.models import Role
from tests.factories import make_person

PROJECT_APPS = [
    "core", "org", "accounts", "capacity", "health", "renewals", "playbooks", "knowledge", "outreach",
    "webhooks", "inbox", "crm_sync", "digests", "workspace",
]  # fmt: skip
HAS_LATIN = re.compile(r"[A-Za-z]{3,}")
ACRONYMS = re.compile(r"\b(CRM|Webhook)\b")  # used as such in Chinese UIs


def zh_client(client: Client, user: Any) -> Client:
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_every_project_app_has_a_chinese_name():
    with translation.override("zh-hans"):
        names = {label: str(apps.get_app_config(label).verbose_name) for label in PROJECT_APPS}
    assert {label: name for label, name in names.items() if HAS_LATIN.search(ACRONYMS.sub("", name))} == {}


def test_the_admin_is_branded_hourglass_in_the_readers_language():
    with translation.override("zh-hans"):
        assert str(admin.site.site_header) == "Hourglass 管理后台"
        assert str(admin.site.index_title) == "站点管理"
    with translation.override("en"):
        assert str(admin.site.site_header) == "Hourglass administration"


@pytest.mark.django_db
def test_the_admin_index_in_chinese_names_users_and_the_apps(client: Client):
    page = zh_client(client, make_person(Role.ADMIN)).get(reverse("admin:index"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Django" not in html
    assert "Hourglass 管理后台" in html
    assert ">用户<" in html  # auth's "users", not the usage measure's 用户数
    assert "用户数" not in html
    with translation.override("en"):
        english = [str(apps.get_app_config(label).verbose_name) for label in ("accounts", "renewals", "health")]
    assert [name for name in english if name in html] == []
    assert "续费与合同" in html
    # Third-party apps and Django's own newer admin strings are in Chinese too.
    for word in ("Axes", "Otp_Totp", "Access attempts", "Model name"):
        assert word not in html
    assert "登录锁定" in html


def test_one_msgid_two_meanings():
    with translation.override("zh-hans"):
        assert translation.pgettext("button", "Open") == "打开"
        assert translation.gettext("Open") == "待处理"
        assert translation.pgettext("count", "Updated") == "已更新"
        assert translation.gettext("Updated") == "更新时间"
        assert translation.pgettext("status", "Closed") == "已关闭"
        assert translation.gettext("Closed") == "关闭时间"
        assert translation.pgettext("rebalance: the CSM who gives the account", "From") == "原负责人"
        assert translation.pgettext("measure: how many people used the product", "users") == "用户数"
        assert translation.gettext("users") == "用户"


@pytest.mark.django_db
def test_a_closed_campaign_reads_as_a_status_and_the_usage_measure_as_a_count():
    from health.models import DailyFeatureRollup
    from knowledge.models import CampaignStatus

    with translation.override("zh-hans"):
        assert str(CampaignStatus.CLOSED.label) == "已关闭"
        assert str(DailyFeatureRollup._meta.get_field("users").verbose_name) == "用户数"
