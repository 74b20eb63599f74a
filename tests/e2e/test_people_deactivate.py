"""Browser: an admin deactivates a CSM on the people page; the CSM's accounts appear in the
unassigned queue (owner "Unassigned" in the book) and their manager has the task."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from org.models import Role, Team
from playbooks.models import Task
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_admin_deactivates_a_csm_accounts_unassigned_with_a_manager_task(browser, live_server, page, screenshot):
    make_person(Role.ADMIN, username="admin", first_name="Ada", last_name="Admin")
    manager = make_person(Role.MANAGER, username="mgr", first_name="Mei", last_name="Zhang")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="leaving", first_name="Tom", last_name="Leaving", team=team)
    AccountFactory(owner=csm, name="Harbour Logistics", arr=Decimal("80000"))
    AccountFactory(owner=csm, name="Delta Print", arr=Decimal("20000"))

    log_in(page, "admin")
    page.click("nav >> text=People")
    page.wait_for_url("**/people/")
    row = page.locator("[data-testid=person-row]", has_text="Tom Leaving")
    expect(row.locator("[data-testid=person-status]")).to_have_text("Active")
    row.get_by_role("link", name="Tom Leaving").click()
    page.click("[data-testid=person-deactivate]")
    expect(page.locator("[role=status]")).to_contain_text("is deactivated")
    expect(page.locator("[data-testid=person-status]")).to_have_text("Deactivated")
    screenshot("people-deactivated")

    page.goto("/accounts/?q=Harbour")
    account_row = page.locator("[data-testid=account-row]", has_text="Harbour Logistics")
    expect(account_row).to_contain_text("Unassigned")
    page.goto("/accounts/?q=Delta")
    expect(page.locator("[data-testid=account-row]", has_text="Delta Print")).to_contain_text("Unassigned")
    assert Account.objects.filter(owner__isnull=True).count() == 2

    # The manager signs in (another browser) and finds the task on their list.
    context = browser.new_context(base_url=live_server.url)
    manager_page = context.new_page()
    log_in(manager_page, "mgr")
    manager_page.goto("/tasks/")
    task_row = manager_page.locator("[data-testid=task-row]", has_text="Reassign 2 accounts of Tom Leaving")
    expect(task_row).to_have_count(1)
    context.close()
    task = Task.objects.get(title="Reassign 2 accounts of Tom Leaving")
    assert task.assignee == manager and task.account.name == "Harbour Logistics"
