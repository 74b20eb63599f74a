from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from capacity.services import capacity_defaults_ensure
from org.models import Role, Team
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_manager_sorts_the_team_by_arr_and_plans_20_csms(page, screenshot):
    capacity_defaults_ensure()  # a transactional test before this one may have flushed the seed rows
    manager = make_person(Role.MANAGER, username="mgr", first_name="Jing", last_name="Chen")
    team = Team.objects.create(name="East", lead=manager)
    small = make_person(Role.CSM, username="small", team=team, first_name="Wei", last_name="Li")
    big = make_person(Role.CSM, username="big", team=team, first_name="Emma", last_name="Clark")
    AccountFactory(owner=small, arr=Decimal("300000"))
    AccountFactory(owner=big, arr=Decimal("2000000"))
    AccountFactory(owner=big, arr=Decimal("4000000"))

    log_in(page, "mgr")
    page.click("nav >> text=Team")
    page.wait_for_url("**/capacity/")
    rows = page.locator("[data-testid=csm-row]")
    assert rows.count() == 2
    page.click("[data-sort=arr]")  # ascending
    page.wait_for_url(re.compile(r"\?ordering=arr$"))
    expect(page.locator("[data-testid=csm-row]").first).to_have_attribute("data-user", "small")
    page.click("[data-sort=arr]")  # descending
    page.wait_for_url(re.compile(r"\?ordering=-arr$"))
    expect(page.locator("[data-testid=csm-row]").first).to_have_attribute("data-user", "big")
    big_row = page.locator("[data-testid=csm-row][data-user=big]")
    assert big_row.locator("[data-testid=status]").inner_text() == "Over capacity"
    assert "above the preset" in big_row.locator("[data-testid=reason]").first.inner_text()
    screenshot("capacity-team")

    page.click("[data-testid=planner-link]")
    page.wait_for_url("**/capacity/planner/")
    page.select_option("#id_segment", "enterprise")
    page.fill("#id_accounts", "100")
    page.fill("#id_ratio", "5")
    page.click("[data-testid=planner-submit]")
    page.wait_for_selector("[data-testid=csms-at-ratio]")
    assert page.inner_text("[data-testid=csms-at-ratio]").strip() == "20 CSMs"
    assert "5 to 20 CSMs" in page.inner_text("[data-testid=ratio-range]")
    screenshot("capacity-planner")
