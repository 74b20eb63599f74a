"""An NPS survey end to end in Chromium: a CSM sends it to 3 contacts, a real SMTP server
receives 3 emails, the "9" link opened on a 390 px phone records a promoter without login
(confirm, then a comment), the NPS page and the account timeline show it, and a contact
who unsubscribed gets nothing on the next send (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import KeyPersonLevel, Stakeholder
from health.models import NpsResponse
from org.models import Role
from outreach.models import ContactPreference, Survey
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_csm_sends_nps_and_a_contact_answers_on_a_phone(
    page: Any, browser: Any, live_server: Any, screenshot: Any, smtp_server: Any, celery_eager: Any, settings: Any
) -> None:
    settings.HOURGLASS_BASE_URL = live_server.url
    settings.HOURGLASS_SURVEY_QUIET_START = settings.HOURGLASS_SURVEY_QUIET_END = 0
    csm = make_person(Role.CSM, username="wei", first_name="Wei", last_name="Li", email="wei@hourglass.test")
    acme = AccountFactory(owner=csm, name="Acme Robotics")
    other = AccountFactory(owner=csm, name="Initech Logistics")
    for account, name, email in [
        (acme, "Wang Fang", "wang.fang@acme.test"),
        (acme, "Zhao Lei", "zhao.lei@acme.test"),
        (other, "Sun Yu", "sun.yu@initech.test"),
    ]:
        Stakeholder.objects.create(account=account, name=name, email=email, key_level=KeyPersonLevel.DAY_TO_DAY)
    Survey.objects.create(kind="nps", name="Quarterly NPS")

    page.goto("/login/")
    page.fill("#id_username", "wei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    page.goto("/outreach/")
    page.click("text=Quarterly NPS")
    page.click("[data-testid=survey-send]")
    page.click("[data-testid=send-submit]")
    expect(page.locator(".alert").first).to_contain_text("3 contacts")
    messages = smtp_server.wait_for(3)
    assert len(messages) == 3
    email = next(message for message in messages if message["To"] == "wang.fang@acme.test")
    text = email.get_body(("plain",)).get_content()
    match = re.search(r"^9: (\S+)", text, re.M)
    assert match, text
    link = match.group(1)
    unsubscribe = email["List-Unsubscribe"].strip().strip("<>")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        mobile.goto(link)  # no login
        expect(mobile.locator("[data-testid=survey-account]")).to_have_text("Acme Robotics")
        expect(mobile.locator("input[name=score][value='9']")).to_be_checked()
        assert NpsResponse.objects.count() == 0  # opening the link records nothing yet
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # no sideways scrolling on the phone
        mobile.click("[data-testid=survey-submit]")
        expect(mobile.locator("[data-testid=survey-saved]")).to_be_visible()
        mobile.fill("textarea[name=comment]", "Onboarding was smooth")
        mobile.click("[data-testid=survey-submit]")
        expect(mobile.locator("[data-testid=survey-saved]")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        mobile.screenshot(path=str(ARTIFACTS / "outreach-survey-phone.png"), full_page=True)
        mobile.goto(unsubscribe)
        mobile.click("[data-testid=unsubscribe-confirm]")
        expect(mobile.locator("[data-testid=unsubscribed]")).to_be_visible()
    finally:
        phone.close()
    response = NpsResponse.objects.get()
    assert (response.score, response.comment, response.account_id) == (9, "Onboarding was smooth", acme.pk)
    assert ContactPreference.objects.get(email="wang.fang@acme.test").unsubscribed_at is not None

    page.goto("/health/nps/")
    expect(page.locator("[data-testid=nps-response]", has_text="Onboarding was smooth")).to_contain_text("9")
    page.goto(f"/accounts/{acme.pk}/")
    expect(page.locator("[data-testid=timeline-entry]", has_text="NPS survey answered")).to_be_visible()
    screenshot("outreach-account-timeline")

    # The next send (cap lifted) reaches the two others, never the unsubscribed contact.
    settings.HOURGLASS_SURVEY_MIN_DAYS = 0
    second = Survey.objects.create(kind="csat", name="Support CSAT")
    page.goto(f"/outreach/{second.pk}/send/")
    page.click("[data-testid=send-submit]")
    later = smtp_server.wait_for(5)
    assert len(later) == 5
    assert "wang.fang@acme.test" not in [message["To"] for message in later[3:]]
