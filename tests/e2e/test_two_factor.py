"""Two-factor in Chromium: enrol from the page's secret, sign in again with password + code."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from org.models import Role
from tests.factories import PASSWORD, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code(key: bytes, step: int = 0) -> str:
    return f"{totp(key, drift=step):06d}"


def password_step(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_enrol_then_sign_in_with_password_and_code(page, screenshot):
    make_person(Role.CSM, username="csm.zhao")
    password_step(page, "csm.zhao")
    page.wait_for_url("**/my-day/")

    page.click("[data-testid=user-menu]")
    page.click("text=Two-factor authentication")
    page.wait_for_url("**/security/two-factor/")
    expect(page.locator("[data-testid=totp-qr] svg")).to_be_visible()
    secret = page.locator("[data-testid=totp-secret]").inner_text()
    key = b32decode(secret.replace(" ", ""))
    screenshot("two-factor-enrol")
    page.fill("#id_code", code(key))
    page.click("text=Turn on two-factor authentication")
    expect(page.locator("[data-testid=backup-code]")).to_have_count(10)
    screenshot("two-factor-backup-codes")
    page.click("[data-testid=two-factor-continue]")
    page.wait_for_url("**/my-day/")

    page.click("[data-testid=user-menu]")
    page.click("text=Log out")
    page.wait_for_url("**/login/")

    password_step(page, "csm.zhao")
    page.wait_for_url("**/security/two-factor/verify/?next=%2Fmy-day%2F")
    # A page asked for directly waits for the code too.
    page.goto("/accounts/")
    page.wait_for_url("**/security/two-factor/verify/?next=%2Faccounts%2F")

    right = code(key, step=1)  # the enrolment spent the current window's code
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in {code(key, s) for s in (-1, 0, 1, 2)})
    page.fill("#id_code", wrong)
    page.click("button:has-text('Verify')")
    expect(page.locator("[data-testid=code-error]")).to_contain_text("That code is not right")
    screenshot("two-factor-wrong-code")
    page.wait_for_timeout(1100)  # django-otp throttles the device for 1 s after a wrong code
    page.fill("#id_code", right)
    page.click("button:has-text('Verify')")
    page.wait_for_url("**/accounts/")
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
