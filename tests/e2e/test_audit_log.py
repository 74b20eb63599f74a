"""The audit log in Chromium: a manager signs in, edits a task, finds the change, filters
it, and the page holds at a laptop and a phone width (screenshots in test-artifacts/)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from org.models import Role, Team
from playbooks.models import Task
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_finds_a_task_change_in_the_audit_log(page: Any, screenshot: Any) -> None:
    manager = make_person(Role.MANAGER, username="mgr", first_name="Min", last_name="Zhao")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="wei", team=team, first_name="Wei", last_name="Li")
    account = AccountFactory(owner=csm, name="Small Retail Co")
    task = Task.objects.create(account=account, assignee=csm, title="Kick-off call", due_date=timezone.localdate())

    page.goto("/login/")
    page.fill("#id_username", "mgr")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    page.goto(f"/tasks/{task.pk}/")
    page.locator("form[action$='/status/'] button").first.click()

    page.click("nav >> text=Audit log")
    page.wait_for_url("**/audit/")
    row = page.locator("[data-testid=audit-row][data-model='playbooks.task']").first
    expect(row).to_contain_text("Min Zhao")
    expect(row).to_contain_text("Status")
    expect(row.locator("[data-testid=audit-source]")).to_contain_text(f"/tasks/{task.pk}/status/")
    screenshot("audit-log-1280")

    row.locator("[data-testid=audit-account]").click()
    expect(page.locator("[data-testid=audit-row]").first).to_contain_text("Small Retail Co")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/audit/")
    expect(page.locator("[data-testid=audit-row]").first).to_be_visible()
    screenshot("audit-log-390")
    page.goto("/audit/logins/")
    expect(page.locator("[data-testid=login-row][data-kind=success]").first).to_contain_text("mgr")
