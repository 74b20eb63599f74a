"""Browser: an admin moves a segment band in the settings area (a bad value is refused on
its field, a good one re-segments the book at once, the change is in the history); a
manager reads the same page without a Save button; a CSM is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from org.models import Role, SettingsChange
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_an_admin_moves_a_band_and_the_book_re_segments(page, screenshot):
    make_person(Role.ADMIN, username="ops")
    make_person(Role.MANAGER, username="mgr")
    make_person(Role.CSM, username="csm")
    account = AccountFactory(name="Borderline Ltd", arr=Decimal("300000"))  # mid-market under the defaults

    log_in(page, "ops")
    page.goto("/settings/segments/")
    enterprise = page.locator("#id_band_enterprise")
    # Bands must increase: an enterprise bound under mid-market's is refused on its field.
    enterprise.fill("1000")
    page.click("[data-testid=settings-save]")
    expect(page.locator("[data-testid=error-band_enterprise]")).to_be_visible()
    assert not SettingsChange.objects.exists()

    enterprise.fill("250000")
    page.click("[data-testid=settings-save]")
    expect(page.get_by_text("Saved: 1 change recorded in the history.")).to_be_visible(timeout=15000)
    expect(page.locator("[data-testid=error-band_enterprise]")).to_have_count(0)
    screenshot("settings-segments-saved")
    assert SettingsChange.objects.filter(key__contains="enterprise").count() == 1

    page.goto("/accounts/?segment=enterprise")
    expect(page.locator("[data-testid=account-row]")).to_contain_text("Borderline Ltd", timeout=15000)
    page.goto("/settings/segments/history/")
    expect(page.locator("body")).to_contain_text("250")
    assert Account.objects.filter(pk=account.pk).exists()

    log_in(page, "mgr")
    page.goto("/settings/segments/")
    expect(page.locator("#id_band_enterprise")).to_be_disabled()
    expect(page.locator("[data-testid=settings-save]")).to_have_count(0)

    log_in(page, "csm")
    response = page.goto("/settings/segments/")
    assert response is not None and response.status == 403
