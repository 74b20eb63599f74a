"""People are named by their full names, filters offer a word as their empty choice, in
the reader's language."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import SectionKey
from core.people import display_name

ZH = {"django_language": "zh-hans"}


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [text.strip() for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1), re.S)]


def test_filters_offer_all_not_dashes_in_chinese(client: Client, org):
    client.force_login(org.manager_a)
    client.cookies.load(ZH)
    for url, name in ((reverse("playbooks:task_list"), "assignee"), (reverse("accounts:list"), "icp_fit")):
        html = client.get(url).content.decode()
        assert "---------" not in html, url
        assert options(html, name)[0] == "全部", url


def test_owner_selects_show_full_names(client: Client, org):
    client.force_login(org.manager_a)
    account = org.accounts["csm_a1"][0]
    edit = client.get(reverse("accounts:edit", args=[account.pk])).content.decode()
    owners = options(edit, "owner")
    assert display_name(org.csm_a1) in owners and org.csm_a1.username not in owners
    assert owners[0] == "Unassigned"
    overdue = client.get(reverse("accounts:overdue_contacts")).content.decode()
    assert display_name(org.csm_a1) in options(overdue, "owner")


def test_the_review_message_names_the_owner_by_full_name(client: Client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.manager_a)
    data = {"verdict": "approved", "comment": "Solid."}
    data |= {f"rating_{key}": "5" for key in SectionKey.values}
    response = client.post(reverse("accounts:review", args=[account.pk]), data)
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert display_name(org.csm_a1) in message and org.csm_a1.username not in message


def test_model_forms_name_their_empty_choices_in_chinese(org):
    from django.utils import translation

    from accounts.forms import StakeholderForm
    from knowledge.forms import CaseForm

    with translation.override("zh-hans"):
        for form in (StakeholderForm(account=org.accounts["csm_a1"][0]), CaseForm()):
            html = str(form)
            assert "---------" not in html
            assert "未设置" in html
