from __future__ import annotations

import pytest
from playwright.sync_api import expect

from org.models import Role
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_csm_logs_in_and_filters_the_accounts_list(page, screenshot):
    csm = make_person(Role.CSM, username="csm.li", first_name="Wei", last_name="Li")
    other = make_person(Role.CSM, username="csm.other")
    for i in range(30):
        AccountFactory(owner=csm, name=f"Li Account {i:02d}", arr=5_000 if i % 3 == 0 else 200_000)
    AccountFactory(owner=other, name="Not Mine Ltd")

    log_in(page, "csm.li")
    page.click("nav >> text=Accounts")
    page.wait_for_url("**/accounts/")
    assert page.locator("[data-testid=account-row]").count() == 30
    assert page.get_by_text("Not Mine Ltd").count() == 0
    screenshot("accounts-list-en")

    # htmx: typing in the search box swaps the table in place and updates the URL.
    page.fill("#id_q", "Account 0")
    expect(page.locator("[data-testid=account-row]")).to_have_count(10)
    assert "q=Account" in page.url

    page.check("input[name=segment][value=tech_touch]")
    expect(page.locator("[data-testid=account-row]")).to_have_count(4)


def test_wrong_password_is_refused_and_language_switches_to_chinese(page, screenshot):
    make_person(Role.CSM, username="csm.wang")
    page.goto("/login/")
    page.fill("#id_username", "csm.wang")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".alert-danger").count() == 1
    assert "/login/" in page.url

    log_in(page, "csm.wang")
    page.select_option("#hg-language", "zh-hans")
    page.wait_for_load_state()
    page.wait_for_selector("text=我的一天")
    page.goto("/accounts/")
    assert page.get_by_role("heading", name="客户", exact=True).count() == 1
    screenshot("accounts-list-zh-hans")
