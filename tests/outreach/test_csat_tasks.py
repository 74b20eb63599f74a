"""CSAT after a closed task: the touchpoint's contacts, else the account's day-to-day
contacts; once per task; an open task asks no one."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import KeyPersonLevel
from outreach.models import SurveyRecipient
from outreach.sending import csat_task_sweep
from outreach.services import survey_create
from playbooks.models import Task
from playbooks.services import task_complete
from tests.outreach.conftest import contact

pytestmark = pytest.mark.django_db


def test_csat_after_closed_tasks(org, contacts):
    survey = survey_create(actor=org.admin, kind="csat", name="After tasks", auto_enabled=True, auto_after_tasks=True)
    first, second = org.accounts["csm_a1"]
    contact(first, "Decision maker", "boss@customer.test", key_level=KeyPersonLevel.DECISION_MAKER)
    today = timezone.localdate()
    plain = Task.objects.create(account=first, assignee=org.csm_a1, title="Check setup", due_date=today)
    logged = Task.objects.create(account=second, assignee=org.csm_a1, title="Review call", due_date=today)
    Task.objects.create(account=first, assignee=org.csm_a1, title="Still open", due_date=today)
    task_complete(task=plain, actor=org.csm_a1)
    touch = {"kind": "call", "title": "Review", "stakeholders": [contacts[2]]}
    task_complete(task=logged, actor=org.csm_a1, log_touchpoint=touch)
    assert csat_task_sweep() == 3
    asked = {(r.wave, r.email) for r in SurveyRecipient.objects.filter(survey=survey)}
    assert asked == {
        (f"task:{plain.pk}", "li.wei@customer.test"),
        (f"task:{plain.pk}", "zhang.min@customer.test"),
        (f"task:{logged.pk}", "anna@customer.test"),  # the touchpoint's contact only
    }
    logged.refresh_from_db()
    assert SurveyRecipient.objects.get(wave=f"task:{logged.pk}").touchpoint_id == logged.touchpoint_id
    assert csat_task_sweep() == 0  # the high-water mark moved on: no one asked twice


def test_csat_automation_accepts_closed_tasks_alone(org):
    survey = survey_create(actor=org.admin, kind="csat", name="x", auto_enabled=True, auto_after_tasks=True)
    assert survey.auto_after_tasks and survey.auto_touchpoint_kinds == []
