"""The tasks list in Chromium, keyboard first: j/k move the row focus, x checks a row,
e marks the focused task done, ? shows the shortcuts; then a bulk "Done" on the checked
row and its undo, and the list follows each time (htmx, static/js/lists.js)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from org.models import Role
from playbooks.models import Task, TaskStatus
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def status(task: Task) -> str:
    return Task.objects.get(pk=task.pk).status


def test_keyboard_and_a_bulk_done_with_undo_on_the_tasks_list(page, screenshot):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    account = AccountFactory(
        owner=csm, name="Harbor Freight Co", go_live_date=timezone.localdate() - timedelta(days=400)
    )
    today = timezone.localdate()
    first, second, third = (
        Task.objects.create(account=account, assignee=csm, title=title, due_date=today + timedelta(days=i))
        for i, title in enumerate(["Call the sponsor", "Send the QBR deck", "Check the usage"])
    )

    log_in(page, "csm")
    page.goto("/tasks/")
    row = lambda task: page.locator(f"tr[data-task='{task.pk}']")  # noqa: E731

    # Typing in a field is typing, not a shortcut.
    page.locator("#bulk_due_date").press("j")
    assert page.locator("tr.hg-row-focus").count() == 0
    page.locator("h1").click()

    page.keyboard.press("j")
    page.keyboard.press("j")
    assert "hg-row-focus" in row(second).get_attribute("class")
    page.keyboard.press("x")
    assert row(second).locator("input[data-hg-select]").is_checked()
    assert page.inner_text("[data-testid=bulk-count]") == "1"
    page.keyboard.press("k")
    assert "hg-row-focus" in row(first).get_attribute("class")
    page.keyboard.press("e")  # the focused row's own "Done"
    page.wait_for_selector(f"tr[data-task='{first.pk}'][data-status='done']")
    assert status(first) == TaskStatus.DONE and status(second) == TaskStatus.OPEN

    page.keyboard.press("?")
    help_sheet = page.locator("#hg-keys-help")
    assert help_sheet.is_visible() and "Mark the task done" in help_sheet.inner_text()
    page.keyboard.press("Escape")
    assert not help_sheet.is_visible()

    # The bulk bar: "Done" on the checked row, then undo within the ten seconds.
    page.click("[data-testid=bulk-done]")
    page.wait_for_selector("[data-testid=bulk-result-text]")
    assert page.inner_text("[data-testid=bulk-result-text]") == "1 task done."
    screenshot("bulk-tasks-done-with-undo")
    row(second).wait_for(state="detached")  # the list reloaded
    assert status(second) == TaskStatus.DONE and status(third) == TaskStatus.OPEN
    page.click("[data-testid=bulk-undo]")
    page.wait_for_selector("text=Undone: 1 task as it was.")
    page.wait_for_selector(f"tr[data-task='{second.pk}']")
    assert status(second) == TaskStatus.OPEN
    assert page.inner_text("[data-testid=bulk-count]") == "0"


def test_a_manager_gives_the_checked_accounts_a_new_owner_and_undoes_it(page, screenshot):
    from org.models import Team

    team = Team.objects.create(name="East")
    manager = make_person(Role.MANAGER, username="lead", first_name="Fang", last_name="Wang")
    Team.objects.filter(pk=team.pk).update(lead=manager)
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li", team=team)
    make_person(Role.CSM, username="csm2", first_name="Min", last_name="Zhao", team=team)
    accounts = [AccountFactory(owner=csm, name=f"Harbor {i}") for i in range(3)]

    log_in(page, "lead")
    page.goto("/accounts/")
    page.check("[data-testid=select-all]")
    assert page.inner_text("[data-testid=bulk-count]") == "3"
    page.select_option("[data-testid=bulk-owner]", label="Min Zhao")
    page.click("[data-testid=bulk-assign-owner]")
    page.wait_for_selector("text=3 accounts have a new owner.")
    page.locator("#account-table td", has_text="Min Zhao").first.wait_for()
    assert {a.owner.username for a in type(accounts[0]).objects.filter(pk__in=[a.pk for a in accounts])} == {"csm2"}
    screenshot("bulk-book-owner-with-undo")
    page.click("[data-testid=bulk-undo]")
    page.wait_for_selector("text=Undone: 3 accounts are back with their owners.")
    assert {a.owner.username for a in type(accounts[0]).objects.filter(pk__in=[a.pk for a in accounts])} == {"csm"}
