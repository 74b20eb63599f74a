"""Browser: the account's 90-day score chart and "recalculate now", and the NPS page
with its trend chart, the responses behind a group, and a refused CSV upload."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import PurchasedProduct
from health.models import DailyRollup, HealthScore, NpsResponse
from org.models import Role, Team
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_account_score_chart_and_recalculate_now(page, screenshot, celery_eager):
    manager = make_person(Role.MANAGER, username="mgr")
    csm = make_person(Role.CSM, username="csm", team=Team.objects.create(name="East", lead=manager))
    account = AccountFactory(owner=csm, name="Harbor Freight Co")
    today = timezone.localdate()
    for offset, value in ((20, 80), (10, 64), (1, 52)):
        HealthScore.objects.create(account=account, day=today - timedelta(days=offset), score=value, colour="yellow")
    PurchasedProduct.objects.create(account=account, product="CRM", seats=10)
    DailyRollup.objects.create(account=account, day=today, events=9, active_users=3)

    log_in(page, "csm")
    page.goto(f"/accounts/{account.pk}/#health")  # the account page's Health tab
    canvas = page.locator("[data-testid=health-trend-chart] canvas")
    expect(canvas).to_have_attribute("data-chart-ready", "1")
    expect(canvas).to_have_attribute("aria-label", re.compile("Health score, last 90 days"))
    page.click("[data-testid=health-recalculate]")
    expect(page.locator("[data-testid=health-score]")).not_to_have_text("52")
    screenshot("account-health-chart")
    assert HealthScore.objects.filter(account=account, day=today).exists()


def test_nps_page_chart_drill_down_and_refused_upload(page, screenshot, tmp_path):
    manager = make_person(Role.MANAGER, username="mgr")
    csm = make_person(Role.CSM, username="csm", team=Team.objects.create(name="East", lead=manager))
    mine = AccountFactory(owner=csm, name="Harbor Freight Co")
    other = AccountFactory(owner=csm, name="Blue Lake Ltd")
    today = timezone.localdate()
    NpsResponse.objects.create(account=mine, score=10, responded_on=today, comment="Love the reports")
    NpsResponse.objects.create(account=other, score=3, responded_on=today, comment="Too slow")

    log_in(page, "csm")
    page.click("nav >> text=NPS")
    page.wait_for_url("**/health/nps/")
    expect(page.locator("#nps-trend-chart")).to_have_attribute("data-chart-ready", "1")
    page.select_option("#id_by", "account")
    page.click("[data-testid=nps-filters] button[type=submit]")
    expect(page.locator("[data-testid=nps-group]")).to_have_count(2)
    page.click("[data-testid=nps-group] >> text=Blue Lake Ltd")
    expect(page.locator("[data-testid=nps-response]")).to_have_count(1)
    expect(page.locator("[data-testid=nps-response]")).to_contain_text("Too slow")
    screenshot("nps-page")

    bad = tmp_path / "nps.csv"
    bad.write_text(f"account_external_id,score,responded_on\n{mine.external_id},12,{today.isoformat()}\n")
    page.set_input_files("#id_file", str(bad))
    page.click("[data-testid=nps-import-submit]")
    expect(page.locator("[data-testid=nps-import-errors]")).to_contain_text(
        "Row 2, score: Give a whole number from 0 to 10."
    )
    assert NpsResponse.objects.count() == 2
