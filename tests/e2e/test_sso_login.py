"""Chromium signs in to Hourglass through the local OIDC provider and back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from org.models import Role
from tests.factories import make_person
from tests.sso.support import PROVIDER_NAME, PROVIDER_PASSWORD, oidc_provider, sso  # noqa: F401 (fixtures)

# Hourglass pointed at the provider (the fixture imported above), for every test here.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sso")]


def through_the_provider(page, username):
    page.goto("/login/")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_url("http://127.0.0.1:*/accounts/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    # First sign-in: the provider asks to consent to what Hourglass reads.
    page.get_by_role("button", name="Authorize").click()


def test_sign_in_with_the_provider_lands_on_my_day(page, screenshot):
    make_person(Role.CSM, username="alice.li", email="alice.li@example.com", first_name="Alice", last_name="Li")
    page.goto("/login/")
    screenshot("sso-login-page")
    through_the_provider(page, "alice")
    page.wait_for_url("**/my-day/")
    expect(page.get_by_test_id("user-menu")).to_contain_text("Alice")
    screenshot("sso-my-day")


def test_an_identity_unknown_to_hourglass_comes_back_to_the_login_page(page):
    through_the_provider(page, "newbie")
    page.wait_for_url("**/login/")
    expect(page.get_by_role("status")).to_have_text(
        f"No Hourglass user has the email address {PROVIDER_NAME} gave. Ask an admin to add you."
    )
    assert page.get_by_test_id("user-menu").count() == 0
