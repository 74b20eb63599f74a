"""A manager reviews a rebalancing proposal in Chromium, unticks one move and applies it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import Account, Industry
from capacity.models import CapacityPreset
from capacity.services import capacity_defaults_ensure
from org.models import CsProfile, Role, Team
from playbooks.models import Task
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


def test_manager_applies_a_rebalancing_proposal(page, screenshot):
    capacity_defaults_ensure()
    CapacityPreset.objects.update(is_active=False)
    CapacityPreset.objects.create(
        name="E2E band",
        arr_per_csm_min=Decimal("1000000"),
        arr_per_csm_max=Decimal("2000000"),
        hard_cap=Decimal("2500000"),
        currency=settings.HOURGLASS_CURRENCY,
        is_active=True,
    )
    manager = make_person(Role.MANAGER, username="mgr", first_name="Jing", last_name="Chen")
    team = Team.objects.create(name="East", lead=manager)
    busy = make_person(Role.CSM, username="busy", team=team, first_name="Emma", last_name="Clark")
    free = make_person(Role.CSM, username="free", team=team, first_name="Wei", last_name="Li")
    retail = make_person(Role.CSM, username="retail", team=team, first_name="Ana", last_name="Silva")
    CsProfile.objects.filter(user=retail).update(industries=[Industry.RETAIL])
    AccountFactory(owner=free, arr=Decimal("300000"), name="Free base")
    AccountFactory(owner=retail, arr=Decimal("300000"), name="Retail base")
    shop = AccountFactory(owner=busy, arr=Decimal("900000"), industry=Industry.RETAIL, name="Shop Co")
    factory = AccountFactory(owner=busy, arr=Decimal("800000"), name="Factory Co")
    renewing = AccountFactory(owner=busy, arr=Decimal("1500000"), name="Renewing Co")
    contract_create(
        actor=busy,
        account=renewing,
        start_date=date.today() - timedelta(days=300),
        end_date=date.today() + timedelta(days=20),
        arr=Decimal("1500000"),
    )
    task = Task.objects.create(account=shop, assignee=busy, title="Quarterly review", due_date=date.today())

    log_in(page, "mgr")
    page.goto("/capacity/")
    page.click("[data-testid=rebalance-link]")
    page.wait_for_url("**/capacity/rebalance/")
    moves = page.locator("[data-testid=rebalance-move]")
    expect(moves).to_have_count(2)
    shop_row = moves.filter(has_text="Shop Co")
    expect(shop_row).to_contain_text("Ana Silva")
    expect(shop_row).to_contain_text("specialises in Retail")
    expect(page.locator("[data-testid=rebalance-kept]")).to_contain_text("Renewing Co")
    screenshot("capacity-rebalance")

    moves.filter(has_text="Factory Co").locator("input[type=checkbox]").uncheck()
    page.click("[data-testid=rebalance-apply]")
    # The confirmation step opens in the page: the ticked move, and a reason to give.
    confirm = page.locator("[data-testid=rebalance-confirm]")
    expect(confirm).to_contain_text("Shop Co: Emma Clark → Ana Silva")
    confirm.locator("textarea[name=reason]").fill("Emma is over the hard cap")
    confirm.locator("[data-testid=rebalance-confirm-submit]").click()
    page.wait_for_url("**/capacity/rebalance/")
    expect(page.locator("body")).to_contain_text("Moved 1 account(s): Shop Co.")

    assert Account.objects.get(pk=shop.pk).owner_id == retail.pk
    assert Account.objects.get(pk=factory.pk).owner_id == busy.pk
    assert Account.objects.get(pk=renewing.pk).owner_id == busy.pk
    task.refresh_from_db()
    assert task.assignee_id == retail.pk
    page.goto(f"/accounts/{shop.pk}/")
    expect(page.locator("body")).to_contain_text("Reassigned by rebalancing")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("Emma is over the hard cap")
