"""Quick jump in a real browser: Ctrl+K, type, ↓, Enter lands on the account."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Stakeholder
from org.models import Role
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_ctrl_k_type_arrow_enter_opens_the_account(page, screenshot):
    csm = make_person(Role.CSM, username="csm.search")
    AccountFactory(owner=csm, name="Heliotrope Labs")
    second = AccountFactory(owner=csm, name="Heliotrope Systems International")
    Stakeholder.objects.create(account=second, name="张伟", email="zhang.wei@heliotrope.example")
    AccountFactory(owner=make_person(Role.CSM, username="csm.elsewhere"), name="Heliotrope Not Mine")

    log_in(page, "csm.search")
    dialog = page.locator("[data-testid=quick-jump]")
    expect(dialog).to_be_hidden()
    page.keyboard.press("Control+k")
    expect(dialog).to_be_visible()
    expect(page.locator("[data-testid=quick-jump-input]")).to_be_focused()

    page.keyboard.type("helio")
    hits = dialog.locator("[data-search-hit]")
    # Two accounts (the shorter name first), the stakeholder by email; not the other CSM's account.
    expect(hits).to_have_count(3)
    expect(dialog.locator("[data-testid=search-group-account] [data-search-hit]")).to_have_count(2)
    expect(dialog.get_by_text("Heliotrope Not Mine")).to_have_count(0)
    expect(hits.first).to_have_class("hg-search-hit active")
    screenshot("search-quick-jump")

    page.keyboard.press("ArrowDown")
    expect(hits.nth(1)).to_have_class("hg-search-hit active")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/accounts/{second.pk}/")

    # Esc closes the dialog; a 1-character query answers with a message.
    page.keyboard.press("Control+k")
    expect(dialog).to_be_visible()
    page.keyboard.type("张")
    expect(dialog.locator("[data-testid=search-message]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The top bar's box goes to the full results page.
    page.fill("#hg-search-q", "张伟")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    expect(page.locator("[data-testid=search-group-stakeholder] [data-testid=search-hit]")).to_have_count(1)
