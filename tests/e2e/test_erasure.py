"""An admin erases a contact from the browser: the typed name, the warning, the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Stakeholder
from accounts.stakeholders import stakeholder_create
from accounts.timeline import touchpoint_log
from org.models import Role
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_exports_then_erases_a_contact(page, screenshot):
    admin = make_person(Role.ADMIN, username="boss")
    csm = make_person(Role.CSM, username="csm")
    account = AccountFactory(owner=csm, name="Harbor Freight Co")
    person = stakeholder_create(
        actor=csm, account=account, name="Wendy Vasquez", email="wendy@harbor.example", tier="A", key_level=1
    )
    touchpoint_log(actor=csm, account=account, kind="call", title="Call with Wendy Vasquez", stakeholders=[person])

    page.goto("/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    page.goto(f"/accounts/{account.pk}/stakeholders/{person.pk}/edit/")
    card = page.locator("[data-testid=personal-data]")
    with page.expect_download() as download:
        card.locator("text=Export personal data").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["stakeholder"]["email"] == "wendy@harbor.example"

    card.locator("text=Erase personal data").click()
    expect(page.locator("[data-testid=erase-warning]")).to_be_visible()
    page.fill("input[name=confirm_name]", "Wendy")
    page.click("button:has-text('Erase personal data')")
    expect(page.locator("[data-field-error=confirm_name]")).to_be_visible()
    assert Stakeholder.objects.get(pk=person.pk).name == "Wendy Vasquez"
    screenshot("erasure-confirm-error")

    page.fill("input[name=confirm_name]", "Wendy Vasquez")
    page.click("button:has-text('Erase personal data')")
    page.wait_for_url(f"**/accounts/{account.pk}/")
    expect(page.locator("body")).to_contain_text("The contact's personal data was erased.")
    expect(page.locator("body")).not_to_contain_text("Wendy Vasquez")
    screenshot("erasure-done")
