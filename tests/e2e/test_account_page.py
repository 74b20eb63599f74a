"""Browser: the account 360 at 1440 and 390 px — tabs by click, keyboard and deep link,
the back button, the 90-day chart's line, and logging a touch in two taps on a phone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Tier, TimelineEntry
from accounts.stakeholders import stakeholder_create
from accounts.timeline import touchpoint_log
from health.models import HealthScore
from org.models import Role, Team
from renewals.services import contract_create
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "account-page"
POINTS_JS = "(c) => c._hgChart ? c._hgChart.data.datasets[0].data.filter((v) => v !== null).length : 0"


def log_in(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page: Any) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def customer(db: Any) -> Any:
    manager = make_person(Role.MANAGER, username="mgr")
    csm = make_person(Role.CSM, username="csm", team=Team.objects.create(name="East", lead=manager))
    account = AccountFactory(owner=csm, name="Harbor Freight Co", arr=Decimal("120000"))
    today = timezone.localdate()
    HealthScore.objects.bulk_create(
        HealthScore(account=account, day=today - timedelta(days=n), score=55 + (n * 7) % 30, colour="yellow")
        for n in range(95)
    )
    contract_create(
        actor=csm,
        account=account,
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=65),
        arr=120000,
    )
    stakeholder_create(actor=csm, account=account, name="Wang Fang", tier=Tier.S, title="CIO")
    touchpoint_log(actor=csm, account=account, kind="visit", title="On-site workshop")
    return account


@pytest.mark.parametrize("width", [1440, 390])
def test_tabs_deep_link_back_button_and_chart(page: Any, customer: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    log_in(page, "csm")
    url = f"/accounts/{customer.pk}/"
    page.goto(url)
    expect(page.locator("[data-testid=account-header]")).to_contain_text("Harbor Freight Co")
    expect(page.locator("#tab-activity")).to_be_visible()
    expect(page.locator("[data-testid=timeline-entry]", has_text="On-site workshop")).to_be_visible()
    fits(page)
    shot(page, f"activity-{width}")

    page.click("[data-testid=tab-people]")
    expect(page.locator("[data-testid=stakeholder]", has_text="Wang Fang")).to_be_visible()
    expect(page.locator("#tab-activity")).to_be_hidden()
    assert page.url.endswith("#people")
    assert page.get_attribute("[data-testid=tab-people]", "aria-selected") == "true"
    fits(page)
    shot(page, f"people-{width}")

    # Keyboard: the arrow keys move along the tab list and open the tab they land on.
    page.focus("[data-testid=tab-people]")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-testid=account-renewal]")).to_be_visible()
    assert page.evaluate("() => document.activeElement.dataset.hgTab") == "renewal"
    page.keyboard.press("ArrowRight")
    canvas = page.locator("[data-testid=health-trend-chart] canvas")
    expect(canvas).to_have_attribute("data-chart-ready", "1")
    assert canvas.evaluate(POINTS_JS) >= 60
    expect(page.locator("[data-testid=health-trend-title]")).to_have_text("Health score, last 90 days")
    fits(page)
    shot(page, f"health-{width}")

    # Back: the previous tab again, without a new request for it.
    page.go_back()
    expect(page.locator("[data-testid=account-renewal]")).to_be_visible()
    page.go_back()
    expect(page.locator("[data-testid=stakeholders]")).to_be_visible()
    page.go_back()
    expect(page.locator("#tab-activity")).to_be_visible()

    # A deep link opens its tab straight away.
    page.goto("/my-day/")
    page.goto(url + "#people")
    expect(page.locator("[data-testid=stakeholder]", has_text="Wang Fang")).to_be_visible()
    expect(page.locator("#tab-activity")).to_be_hidden()


def test_log_a_touch_in_two_taps_on_a_phone(page: Any, customer: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "csm")
    page.goto(f"/accounts/{customer.pk}/#people")
    expect(page.locator("[data-testid=stakeholders]")).to_be_visible()
    opener = page.locator("[data-testid=log-touch-open]")
    box = opener.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844  # in view, at the bottom of the screen
    opener.click()  # tap 1
    submit = page.locator("[data-testid=touch-submit]")
    expect(submit).to_be_in_viewport()
    expect(page.locator("#touch-kind-visit")).to_be_checked()  # the kind this CSM used last
    shot(page, "log-touch-open-390")
    submit.click()  # tap 2
    expect(page.locator("[data-testid=touch-logged]")).to_be_visible()
    expect(page.locator("[data-testid=timeline-entry]").first).to_contain_text("Visit")
    assert TimelineEntry.objects.filter(account=customer, is_touchpoint=True).count() == 2
    fits(page)
    shot(page, "log-touch-done-390")

    # A field the server refuses says so on the field, and nothing is logged.
    page.click("[data-testid=log-touch-open]")
    page.fill("#id_title", "")
    page.evaluate("() => document.querySelector('#id_title').removeAttribute('required')")
    page.click("[data-testid=touch-submit]")
    expect(page.locator("[data-field-error=title]")).to_be_visible()
    assert TimelineEntry.objects.filter(account=customer, is_touchpoint=True).count() == 2
