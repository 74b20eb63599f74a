"""A CSM creates a task by hand in Chromium: a mistake is shown at its field, the fix
goes through, and the task is on their My day and in their task list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from org.models import Role
from playbooks.models import Task, TaskStatus, TriggerKind
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_csm_fixes_an_invalid_new_task_and_finds_it_on_my_day(page, screenshot, celery_eager):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    other = make_person(Role.CSM, username="other")
    today = timezone.localdate()
    # Long live: the stage refresh on save fires no stage playbook.
    account = AccountFactory(
        owner=csm, name="Harbor Freight Co", arr=Decimal("15000"), go_live_date=today - timedelta(days=400)
    )
    AccountFactory(owner=other, name="Someone Else's Account", go_live_date=today - timedelta(days=400))

    log_in(page, "csm")
    assert page.inner_text("[data-testid=kpi-tasks]") == "0"
    page.goto("/tasks/")
    page.click("[data-testid=task-new]")
    page.wait_for_url("**/tasks/new/")
    form = page.locator("[data-testid=task-create-form]")
    # Only the CSM's own book is offered.
    options = form.locator("select[name=account] option").all_inner_texts()
    assert "Harbor Freight Co" in options and "Someone Else's Account" not in options

    # Invalid: no title and a due date in the past (the form has novalidate: the server judges).
    form.locator("select[name=account]").select_option(label="Harbor Freight Co")
    form.locator("input[name=title]").fill("   ")
    form.locator("input[name=due_date]").fill((today - timedelta(days=1)).isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=field-title] .invalid-feedback")
    assert "/tasks/new/" in page.url
    title_field = page.locator("[data-testid=field-title]")
    assert title_field.locator("label").inner_text() == "Title"
    assert "required" in title_field.locator(".invalid-feedback").inner_text()
    due_field = page.locator("[data-testid=field-due_date]")
    assert due_field.locator("label").inner_text() == "Due"
    assert due_field.locator(".invalid-feedback").inner_text() == "The due date cannot be in the past."
    # The other fields keep what was entered, and nothing was created.
    assert form.locator("select[name=account]").input_value() == str(account.pk)
    assert not Task.objects.filter(trigger=TriggerKind.MANUAL).exists()
    screenshot("new-task-invalid")

    # Valid: the title and today's date; the assignee left empty means the account owner.
    form.locator("input[name=title]").fill("Call the new sponsor")
    form.locator("input[name=due_date]").fill(today.isoformat())
    form.locator("select[name=priority]").select_option(label="High")
    form.locator("textarea[name=checklist]").fill("Find the sponsor's number\nAgree a date for the QBR")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[role=status]:has-text('Task created.')")
    task = Task.objects.get(trigger=TriggerKind.MANUAL)
    assert page.url.endswith(f"/tasks/{task.pk}/")
    assert "Call the new sponsor" in page.inner_text("h1")
    assert (task.account_id, task.assignee_id, task.created_by_id) == (account.pk, csm.pk, csm.pk)
    assert (task.trigger, task.status, task.due_date) == (TriggerKind.MANUAL, TaskStatus.OPEN, today)
    assert [item["text"] for item in task.checklist] == ["Find the sponsor's number", "Agree a date for the QBR"]

    page.goto("/my-day/")
    row = page.locator(f"[data-testid=my-tasks] [data-task='{task.pk}']")
    row.wait_for()
    assert "Call the new sponsor" in row.inner_text() and "Harbor Freight Co" in row.inner_text()
    assert page.inner_text("[data-testid=kpi-tasks]") == "1"
    screenshot("new-task-on-my-day")

    page.goto(f"/tasks/?assignee={csm.pk}&status=open_any")
    assert page.locator(f"[data-task='{task.pk}']").is_visible()
