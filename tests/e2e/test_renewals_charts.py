"""Browser: the renewals pipeline chart is drawn and a click opens the renewals behind it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from org.models import Role, Team
from renewals.periods import add_months
from tests.factories import PASSWORD, AccountFactory, make_person
from tests.renewals.conftest import make_renewal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_pipeline_bar_opens_its_renewals_and_kpi_trends_draw(page, screenshot):
    manager = make_person(Role.MANAGER, username="mgr", first_name="Jing", last_name="Chen")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="csm", team=team, first_name="Wei", last_name="Li")
    today = timezone.localdate()
    month = add_months(date(today.year, today.month, 1), 2)
    make_renewal(account=AccountFactory(owner=csm, name="Harbor Freight Co"), days_left=(month - today).days + 2,
                 today=today)  # fmt: skip
    make_renewal(account=AccountFactory(owner=csm, name="Later Ltd"), days_left=(month - today).days + 40,
                 today=today)  # fmt: skip

    log_in(page, "mgr")
    page.goto("/renewals/")
    canvas = page.locator("#pipeline-stages")
    expect(canvas).to_have_attribute("data-chart-ready", "1")
    expect(canvas).to_have_attribute("aria-label", re.compile("ARR up for renewal by stage"))
    screenshot("renewals-pipeline-chart")
    box = canvas.bounding_box()
    assert box is not None
    # The first bar (index mode: anywhere in its column) is the month of Harbor Freight.
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.wait_for_url(re.compile(r"due_from="))
    rows = page.locator("[data-testid=renewal-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Harbor Freight Co")

    page.goto("/renewals/kpis/")
    expect(page.locator("#kpi-retention")).to_have_attribute("data-chart-ready", "1")
    expect(page.locator("#kpi-rates")).to_have_attribute("data-chart-ready", "1")
