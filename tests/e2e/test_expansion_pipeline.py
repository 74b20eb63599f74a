"""Browser: raise an expansion from the pipeline, move it, win it, and see it in the list
and the pipeline chart (the won amount raises the contract)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from org.models import Role, Team
from renewals.amendments import contract_arr_in_force
from renewals.models import ContractAmendment, ExpansionOpportunity
from renewals.periods import add_months
from renewals.services import contract_create
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_create_move_and_win_an_expansion(page, screenshot):
    manager = make_person(Role.MANAGER, username="mgr", first_name="Jing", last_name="Chen")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="csm", team=team, first_name="Wei", last_name="Li")
    account = AccountFactory(owner=csm, name="Harbor Freight Co")
    today = timezone.localdate()
    start = today - timedelta(days=200)
    contract = contract_create(
        actor=None, account=account, start_date=start, end_date=add_months(start, 12) - timedelta(days=1), arr=50000
    )

    log_in(page, "csm")
    page.goto("/renewals/")
    page.click("[data-testid=renewal-expansions]")
    page.wait_for_url("**/renewals/expansions/")
    page.click("[data-testid=expansion-new]")
    page.select_option("#id_account", label="Harbor Freight Co")
    page.fill("#id_title", "BI module")
    page.select_option("#id_kind", "cross_sell")
    page.fill("#id_amount", "12000")
    page.fill("#id_expected_close", (today + timedelta(days=20)).isoformat())
    page.click("[data-testid=expansion-new-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/renewals/expansions/\d+/$"))
    expect(page.locator("[data-testid=expansion-owner]")).to_contain_text("CSM: signed more than 6 months ago")

    page.select_option("[data-testid=expansion-stage-form] select", "proposal")
    page.click("[data-testid=expansion-stage-form] button[type=submit]")
    expect(page.locator("h1 + [data-testid=expansion-stage]")).to_have_text("Proposal")
    expect(page.locator("[data-testid=expansion-probability]")).to_contain_text("60%")

    page.click("[data-testid=expansion-win-form] button[type=submit]")
    expect(page.locator("h1 + [data-testid=expansion-stage]")).to_have_text("Won")
    expect(page.locator("[data-testid=expansion-amendment]")).to_contain_text("12,000")
    screenshot("expansion-won")

    expansion = ExpansionOpportunity.objects.get(title="BI module")
    assert expansion.owner == csm and expansion.stage == "won"
    assert ContractAmendment.objects.get(expansion=expansion).effective_date == today
    assert contract_arr_in_force(contract, today) == Decimal("62000")

    page.goto("/renewals/expansions/")
    rows = page.locator("[data-testid=expansion-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("BI module")
    expect(rows.first.locator("[data-testid=expansion-stage]")).to_have_text("Won")
    canvas = page.locator("#expansion-pipeline")
    expect(canvas).to_have_attribute("data-chart-ready", "1")
    expect(canvas).to_have_attribute("aria-label", re.compile("Expansion pipeline by quarter"))
    expect(page.locator("[data-testid=total-won]")).to_contain_text("12,000")
    screenshot("expansion-pipeline")
