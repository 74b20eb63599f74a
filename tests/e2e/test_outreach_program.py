"""A tech-touch program in Chromium: a manager creates it (an email, a wait, an exit),
starts it, the contacts of the audience are enrolled and get step 1 by real SMTP, and a
contact's state (next step, next action, history) is on its page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import KeyPersonLevel, Stakeholder
from org.models import Role
from tests.factories import PASSWORD, AccountFactory, TeamFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_creates_a_program_and_sees_a_contacts_state(
    page: Any, live_server: Any, screenshot: Any, smtp_server: Any, celery_eager: Any, settings: Any
) -> None:
    settings.HOURGLASS_BASE_URL = live_server.url
    settings.HOURGLASS_SURVEY_QUIET_START = settings.HOURGLASS_SURVEY_QUIET_END = 0
    manager = make_person(Role.MANAGER, username="mei", first_name="Mei", last_name="Chen", email="mei@hourglass.test")
    team = TeamFactory(name="Tech touch", lead=manager)
    csm = make_person(Role.CSM, username="wei", first_name="Wei", last_name="Li", team=team)
    acme = AccountFactory(owner=csm, name="Acme Robotics")
    for name, email in [("Wang Fang", "wang.fang@acme.test"), ("Zhao Lei", "zhao.lei@acme.test")]:
        Stakeholder.objects.create(account=acme, name=name, email=email, key_level=KeyPersonLevel.DAY_TO_DAY)

    page.goto("/login/")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    page.goto("/outreach/programs/")
    page.click("[data-testid=program-new]")
    page.fill("#id_name", "Acme onboarding")
    page.fill("#id_steps-0-subject_en", "Welcome, {contact_name}")
    page.fill("#id_steps-0-body_en", "Hello {contact_name}, welcome to {account_name}'s first month.")
    page.fill("#id_steps-1-wait_days", "7")
    page.select_option("#id_steps-2-kind", "exit")
    page.fill("#id_steps-2-position", "3")
    page.click("[data-testid=program-save]")
    expect(page.locator("[data-testid=program-step]")).to_have_count(3)
    page.click("[data-testid=program-run]")
    expect(page.locator("[data-testid=program-status]")).to_have_text("Running")
    expect(page.locator("[data-testid=enrollment-row]")).to_have_count(2)
    messages = smtp_server.wait_for(2)
    assert sorted(str(message["To"]) for message in messages) == ["wang.fang@acme.test", "zhao.lei@acme.test"]
    assert any(str(message["Subject"]) == "Welcome, Wang Fang" for message in messages)
    page.click("text=Wang Fang")
    expect(page.locator("[data-testid=enrollment-next]")).to_contain_text("3")
    expect(page.locator("[data-testid=history-outcome]")).to_have_text(["Email sent", "Waiting"])
    screenshot("outreach-program-contact")
    page.goto(page.url.split("/contacts/")[0] + "/")
    page.click("[data-testid=program-pause]")
    expect(page.locator("[data-testid=program-status]")).to_have_text("Paused")
