"""The audit log in Chinese: built-in playbook texts recorded in English read in the
reader's language, an admin's own wording as typed, and every field has a Chinese name."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Stakeholder
from knowledge.models import FeedbackLink, FeedbackRequest
from playbooks.models import Playbook, PlaybookStep, Task
from workspace.audit.diffs import builtin_translated

pytestmark = pytest.mark.django_db


def test_builtin_texts_are_translated_and_other_values_are_not() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        assert builtin_translated("Implementation kick-off") == "实施启动会"
        assert builtin_translated(["Implementation kick-off", "Our own step"]) == ["实施启动会", "Our own step"]
        assert builtin_translated([{"text": "Implementation kick-off", "done": True}]) == [
            {"text": "实施启动会", "done": True}
        ]
        # A word of the catalogue that is not a built-in text stays as recorded.
        assert builtin_translated("Open") == "Open"
        assert builtin_translated(42) == 42


def test_a_chinese_admin_reads_the_log_without_english(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    playbook = Playbook.objects.create(name="Onboarding", trigger="manual")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Implementation kick-off", due_offset_days=7)
    PlaybookStep.objects.create(playbook=playbook, order=2, title="Our own step", due_offset_days=9)
    Task.objects.create(
        account=account, title="Take over the account and own its active use", due_date=timezone.localdate()
    )
    request = FeedbackRequest.objects.create(title="Excel export", problem="p", created_by=org.csm_a1)
    FeedbackLink.objects.create(request=request, account=account, business_scenario="s", raised_by=org.csm_a1)
    Stakeholder.objects.create(account=account, name="Ada Li")  # its account foreign key has no verbose_name
    client.force_login(org.admin)
    html = client.get(reverse("audit:log"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "实施启动会" in html and "Implementation kick-off" not in html
    assert "接手客户并负责其活跃使用" in html and "Take over the account" not in html
    assert "Our own step" in html  # an admin's wording, as typed
    for chinese in ("产品需求", "提出人", "创建人", "客户"):
        assert f"{chinese}:</span>" in html, chinese
    for english in ("Request", "Raised by", "Created by", "Account"):
        assert f"{english}:</span>" not in html, english
