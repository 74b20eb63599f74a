"""Webhooks in Chromium: an admin opens Integrations, registers an endpoint (the secret
shown once), a delivery reaches a real loopback receiver signed, and Redeliver sends it
again with the same delivery id; the page at a laptop and a phone width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from integrations.webhooks.delivery import deliver_due
from integrations.webhooks.events import Event
from integrations.webhooks.models import Delivery, Endpoint
from integrations.webhooks.services import events_record
from org.models import Role
from tests.factories import PASSWORD, make_person
from tests.webhooks.receiver import receiving, signature_valid

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_registers_an_endpoint_and_redelivers(page: Any, screenshot: Any, settings: Any) -> None:
    settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE = True
    make_person(Role.ADMIN, username="ada")
    with receiving() as receiver:
        page.goto("/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/my-day/")
        page.click("nav >> text=Integrations")
        page.wait_for_url("**/integrations/webhooks/")
        page.click("[data-testid=new-webhook]")
        page.fill("#id_name", "Data warehouse")
        page.fill("#id_url", receiver.url)
        page.check("input[value='task.created']")
        page.click("[data-testid=endpoint-form] button[type=submit]")
        secret = page.locator("[data-testid=secret]").inner_text().strip()
        assert secret.startswith("whsec_")
        screenshot("webhooks-secret-1366")

        events_record([Event("task.created", "e2e:1", {"task": {"id": 1}})])
        deliver_due(budget_seconds=5)
        page.click("text=Continue")
        row = page.locator("[data-testid^=delivery-]").first
        expect(row).to_have_attribute("data-status", "delivered")
        expect(row.locator("[data-testid=code]")).to_have_text("200")
        assert secret not in page.content()
        screenshot("webhooks-log-1366")

        row.locator("[data-testid=redeliver]").click()
        expect(page.locator(".alert, [role=alert]").first).to_contain_text("same delivery id")
        deliver_due(budget_seconds=5)
        delivery = Delivery.objects.get()
        assert receiver.delivery_ids() == {str(delivery.delivery_id): 2}
        assert all(signature_valid(secret, request) for request in receiver.received)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"/integrations/webhooks/{Endpoint.objects.get().pk}/")
        expect(page.locator("[data-testid=deliveries]")).to_be_visible()
        screenshot("webhooks-log-390")
