"""Safe actions in Chromium: "mark as left" confirmed with a reason in the page and
undone; a renewal closed after its confirmation; an old link to a moved account."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import KeyPersonLevel, RiskFlag, Stakeholder, Tier
from accounts.services import account_update
from org.models import Role, Team
from renewals.models import RenewalOpportunity, RenewalStatus
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


def test_mark_as_left_with_a_reason_then_undo(page, screenshot):
    csm = make_person(Role.CSM, username="emma", first_name="Emma", last_name="Clark")
    account = AccountFactory(owner=csm, name="Acme Retail")
    person = Stakeholder.objects.create(
        account=account, name="Li Na", title="CEO", tier=Tier.S, key_level=KeyPersonLevel.DECISION_MAKER
    )
    log_in(page, "emma")
    page.goto(f"/accounts/{account.pk}/#people")  # the account page's People tab
    page.click("[data-testid=mark-left]")
    dialog = page.locator("[data-testid=left-confirm]")
    expect(dialog).to_contain_text("Mark Li Na as having left the customer?")
    assert page.url.endswith(f"/accounts/{account.pk}/#people")  # in the page, not a new one
    screenshot("safe-mark-left-confirm")
    dialog.locator("[data-testid=left-confirm-submit]").click()  # no reason: the browser asks for it
    assert Stakeholder.objects.get(pk=person.pk).is_active
    dialog.locator("textarea[name=reason]").fill("Retired; the CFO takes over")
    dialog.locator("[data-testid=left-confirm-submit]").click()
    expect(page.locator("[data-testid=risk-flag]")).to_contain_text("Decision chain changed")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("Retired; the CFO takes over")
    page.click("[data-testid=tab-people]")
    page.locator("summary", has_text="Former stakeholders").click()
    page.click("[data-testid=undo-left]")
    expect(page.locator("body")).to_contain_text("Li Na is active again.")
    expect(page.locator("[data-testid=risk-flag]")).to_have_count(0)
    expect(page.locator("[data-testid=timeline]")).to_contain_text("the departure was undone")
    assert Stakeholder.objects.get(pk=person.pk).is_active
    assert RiskFlag.objects.get(account=account).resolved_at is not None


def test_close_a_renewal_after_confirming_and_the_moved_link(page, screenshot):
    manager = make_person(Role.MANAGER, username="jing", first_name="Jing", last_name="Chen")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="wei", team=team, first_name="Wei", last_name="Li")
    other = make_person(Role.CSM, username="ana", team=team, first_name="Ana", last_name="Silva")
    account = AccountFactory(owner=csm, name="Beta Foods")
    contract = contract_create(
        actor=csm,
        account=account,
        start_date=date.today() - timedelta(days=340),
        end_date=date.today() + timedelta(days=25),
        arr=Decimal("80000"),
    )
    log_in(page, "wei")
    page.goto(f"/renewals/{contract.renewal.pk}/")
    form = page.locator("[data-testid=close-form]")
    form.locator("select[name=outcome]").select_option("renewed")
    form.locator("input[name=outcome_arr]").fill("90000")
    page.click("[data-testid=close-submit]")
    confirm = page.locator("[data-testid=close-confirm]")
    expect(confirm).to_contain_text("A closed renewal cannot be reopened.")
    assert RenewalOpportunity.objects.get(pk=contract.renewal.pk).is_open
    screenshot("safe-close-renewal-confirm")
    confirm.locator("textarea[name=reason]").fill("Signed after the QBR")
    confirm.locator("[data-testid=close-confirm-submit]").click()
    expect(page.locator("body")).to_contain_text("Renewal closed.")
    assert RenewalOpportunity.objects.get(pk=contract.renewal.pk).status == RenewalStatus.RENEWED

    account_update(actor=manager, account=account, owner=other)
    page.goto(f"/accounts/{account.pk}/")
    moved = page.locator("[data-testid=account-moved]")
    expect(moved).to_contain_text(f"This account was moved to Ana Silva on {date.today().isoformat()}.")
    expect(page.locator("body")).not_to_contain_text("Beta Foods")
