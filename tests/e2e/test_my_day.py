from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import TimelineEntry
from org.models import Role
from playbooks.models import Task, TaskStatus
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_csm_lands_on_my_day_completes_with_a_touch_and_snoozes(page, screenshot, celery_eager):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    today = timezone.localdate()
    # Long live and small: the stage refresh on save fires no playbook, the tasks are ours.
    account = AccountFactory(
        owner=csm, name="Harbor Freight Co", arr=Decimal("15000"), go_live_date=today - timedelta(days=400)
    )
    call = Task.objects.create(account=account, assignee=csm, title="Call the sponsor", due_date=today)
    deck = Task.objects.create(
        account=account, assignee=csm, title="Send the QBR deck", due_date=today - timedelta(days=2)
    )

    page.goto("/login/")
    page.fill("#id_username", "csm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    assert page.inner_text("[data-testid=kpi-tasks]") == "2"
    assert page.locator(f"[data-task='{deck.pk}'] [data-testid=task-overdue]").is_visible()
    screenshot("my-day")

    page.click(f"[data-task='{call.pk}'] [data-testid=task-complete-touch]")
    form = page.locator(f"[data-task='{call.pk}'] [data-testid=touch-form]")
    form.locator("select[name=kind]").select_option("call")
    form.locator("input[name=title]").fill("Called Li Na about the roll-out")
    form.locator("input[name=body]").fill("Agreed to invite the finance department next week.")
    form.locator("[data-testid=touch-save]").click()
    page.wait_for_selector(f"[data-task='{call.pk}'][data-status=done] [data-testid=task-touch-logged]")

    page.click(f"[data-task='{deck.pk}'] [data-testid=task-snooze-1]")
    page.wait_for_selector(f"[data-task='{deck.pk}'][data-status=snoozed]")
    screenshot("my-day-after-actions")

    call.refresh_from_db()
    deck.refresh_from_db()
    assert call.status == TaskStatus.DONE and call.touchpoint is not None
    entry = TimelineEntry.objects.get(account=account, is_touchpoint=True)
    assert (entry.title, entry.kind, entry.actor_id) == ("Called Li Na about the roll-out", "call", csm.pk)
    assert (deck.status, deck.snoozed_until) == (TaskStatus.SNOOZED, today + timedelta(days=1))

    page.reload()
    assert page.inner_text("[data-testid=kpi-tasks]") == "0"
