from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import TimelineEntry
from knowledge.services import case_create, case_review, case_submit
from org.models import Role, Team
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = {"problem": "p", "approach": "a", "result": "r"}


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_csm_sees_cases_like_the_customer_and_shares_one(page, screenshot):
    manager = make_person(Role.MANAGER, username="mgr")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="wei", team=team, first_name="Wei", last_name="Li")
    author = make_person(Role.CSM, username="fang", team=team)
    account = AccountFactory(owner=csm, name="Small Retail Co", industry="retail", arr=Decimal("20000"))
    for title, size, arr in (("Group retailer rollout", "5000_plus", "enterprise"), ("Store champions", "1_50", "smb")):
        case = case_create(actor=author, title=title, industry="retail", size_band=size, arr_band=arr, **TEXT)
        case_submit(case=case, actor=author)
        case_review(case=case, actor=manager, approve=True)

    log_in(page, "wei")
    page.click("nav >> text=Knowledge")
    page.wait_for_url("**/knowledge/")
    expect(page.locator("[data-testid=case-row]")).to_have_count(2)

    page.goto(f"/accounts/{account.pk}/#knowledge")  # the account page's Knowledge tab
    panel = page.locator("[data-testid=account-knowledge]")
    matches = panel.locator("[data-testid=case-match]")
    expect(matches).to_have_count(2)
    expect(matches.first).to_contain_text("Store champions")
    expect(matches.nth(1).locator("[data-testid=far-larger]")).to_be_visible()
    matches.first.locator("input[name=note]").fill("Shown at the monthly review")
    matches.first.locator("[data-testid=case-share]").click()
    expect(panel.locator("[data-testid=share-done]")).to_contain_text("Store champions")
    screenshot("knowledge-account-panel")
    entry = TimelineEntry.objects.get(account=account, is_touchpoint=True)
    assert "Store champions" in entry.title and entry.body == "Shown at the monthly review"
