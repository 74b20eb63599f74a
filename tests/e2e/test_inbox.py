"""The email inbox in Chromium: a BCC'd email appears on the account's timeline; one to
an unknown domain waits in the unmatched inbox, where its CSM picks the account
(screenshots in test-artifacts/). Mail goes over real SMTP to the listener."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import Stakeholder
from integrations.inbox.models import InboundEmail, InboundStatus
from org.models import Role
from tests.conftest import free_port
from tests.factories import PASSWORD, AccountFactory, make_person
from tests.inbox.mail import message, send

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox_port() -> Iterator[int]:
    from integrations.inbox.smtp import inbox_controller

    port = free_port()
    controller = inbox_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_bccd_email_lands_on_the_timeline_and_an_unmatched_one_is_assigned(
    page: Any, screenshot: Any, inbox_port: int
) -> None:
    csm = make_person(Role.CSM, username="wei", first_name="Wei", last_name="Li", email="wei@hourglass.test")
    acme = AccountFactory(owner=csm, name="Acme Robotics")
    initech = AccountFactory(owner=csm, name="Initech Logistics")
    Stakeholder.objects.create(account=acme, name="Wang Fang", email="wang.fang@acme.cn", tier="S")

    send(inbox_port, message(sender=csm.email, to="wang.fang@acme.cn", subject="QBR agenda"), mail_from=csm.email)
    unmatched = message(sender=csm.email, to="ops@initech-group.cn", subject="Seat count question")
    send(inbox_port, unmatched, mail_from=csm.email)
    assert InboundEmail.objects.filter(status=InboundStatus.UNMATCHED).count() == 1

    page.goto("/login/")
    page.fill("#id_username", "wei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")

    page.goto(f"/accounts/{acme.pk}/")
    entry = page.locator("[data-testid=timeline-entry]", has_text="QBR agenda")
    expect(entry).to_contain_text("Thanks for the call today.")
    expect(entry).to_contain_text("Wang Fang")

    page.goto("/integrations/inbox/")
    row = page.locator("[data-testid=unmatched-row]", has_text="Seat count question")
    expect(row).to_contain_text("ops@initech-group.cn")
    screenshot("inbox-unmatched-1366")
    row.locator("[data-testid=assign-link]").click()
    expect(page.locator("[data-testid=email-body]")).to_contain_text("Thanks for the call today.")
    page.select_option("#id_account", label="Initech Logistics")
    page.locator("[data-testid=assign-form] button[type=submit]").click()
    page.wait_for_url(f"**/accounts/{initech.pk}/")
    expect(page.locator("[data-testid=timeline-entry]", has_text="Seat count question")).to_be_visible()
    screenshot("inbox-assigned-timeline")

    page.goto("/integrations/inbox/")
    expect(page.locator("[data-testid=unmatched-row]")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("inbox-unmatched-390")
