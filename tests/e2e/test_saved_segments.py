"""Saved segments and the column chooser in Chromium: a CSM filters the book, saves it
as a segment, sees it in the sidebar with its count and opens it; hides a column that
stays hidden after a reload (keyboard only); adds two accounts to a new list segment
from the bulk bar."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import SavedSegment, SegmentKind, SegmentMember
from health.models import HealthScore
from org.models import ColumnPreference, Role
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_a_csm_saves_a_segment_hides_a_column_and_fills_a_list(page, screenshot):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    today = timezone.localdate()
    accounts = [AccountFactory(owner=csm, name=name) for name in ("Red Lantern", "Red Rock", "Green Valley")]
    for account, colour in zip(accounts, ("red", "red", "green"), strict=True):
        HealthScore.objects.create(account=account, day=today, score=30 if colour == "red" else 85, colour=colour)
    AccountFactory(name="Someone else's red", owner=make_person(Role.CSM, username="other"))

    log_in(page, "csm")
    page.goto("/accounts/")
    page.check("#id_health_2")  # Red (green, yellow, red)
    expect(page.locator("[data-testid=account-row]")).to_have_count(2)

    page.click("[data-testid=segment-save] summary")
    page.fill("#segment_name", "My red accounts")
    page.click("[data-testid=segment-save-button]")
    page.wait_for_selector("[data-testid=segment-bar]")
    assert page.inner_text("[data-testid=segment-bar-name]") == "My red accounts"
    item = page.locator("[data-testid=segment-item]", has_text="My red accounts")
    assert item.locator("[data-testid=segment-count]").inner_text() == "2"
    segment = SavedSegment.objects.get()
    assert segment.filters == {"health": ["red"]} and segment.owner == csm

    # Open it from a clean book: the filter comes back.
    page.goto("/accounts/")
    assert page.locator("[data-testid=account-row]").count() == 4 - 1
    page.click("[data-testid=segment-link]")
    page.wait_for_selector("[data-testid=segment-bar]")
    assert page.locator("[data-testid=account-row]").count() == 2
    assert page.is_checked("#id_health_2")
    screenshot("saved-segment-open")

    # The column chooser, by keyboard: open the menu, uncheck Industry with the space bar.
    assert page.locator("[data-testid=book-table] th[data-col=industry]").is_visible()
    page.focus("[data-testid=columns-menu]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=column-industry]")
    page.focus("[data-testid=column-industry]")
    page.keyboard.press("Space")
    expect(page.locator("[data-testid=book-table]")).to_have_class(re.compile(r"hg-hide-industry"))
    assert not page.locator("[data-testid=book-table] th[data-col=industry]").is_visible()
    for _ in range(50):
        if ColumnPreference.objects.filter(user=csm, table="book", hidden=["industry"]).exists():
            break
        page.wait_for_timeout(100)
    page.reload()
    assert not page.locator("[data-testid=book-table] th[data-col=industry]").is_visible()
    assert not page.locator("[data-testid=book-table] td[data-col=industry]").first.is_visible()
    assert page.locator("[data-testid=book-table] th[data-col=arr]").is_visible()

    # Two accounts into a new list segment from the bulk bar.
    page.goto("/accounts/?ordering=name")
    rows = page.locator("[data-testid=account-row]")
    rows.nth(0).locator("input[data-hg-select]").check()
    rows.nth(1).locator("input[data-hg-select]").check()
    page.fill("[data-testid=bulk-new-segment]", "QBR pilot")
    page.click("[data-testid=bulk-add-segment]")
    page.wait_for_selector("[data-testid=bulk-result]")
    assert "2 accounts added to “QBR pilot”." in page.inner_text("[data-testid=bulk-result-text]")
    pilot = SavedSegment.objects.get(name="QBR pilot")
    assert pilot.kind == SegmentKind.STATIC
    assert set(SegmentMember.objects.filter(segment=pilot).values_list("account__name", flat=True)) == {
        "Green Valley",
        "Red Lantern",
    }
    page.reload()
    pilot_item = page.locator("[data-testid=segment-item]", has_text="QBR pilot")
    assert pilot_item.locator("[data-testid=segment-count]").inner_text() == "2"
    pilot_item.locator("[data-testid=segment-link]").click()
    page.wait_for_selector("[data-testid=segment-bar]")
    assert page.locator("[data-testid=account-row]").count() == 2
    screenshot("saved-segment-list")


def test_the_book_with_an_open_list_fits_a_phone(browser, live_server):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    accounts = [AccountFactory(owner=csm, name=f"Account with a long name {i}") for i in range(3)]
    pilot = SavedSegment.objects.create(name="A list with a rather long name for a phone", owner=csm, kind="static")
    SegmentMember.objects.bulk_create([SegmentMember(segment=pilot, account=a) for a in accounts])
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, "csm")
        page.goto(f"/accounts/?in_segment={pilot.pk}&view={pilot.pk}")
        page.wait_for_selector("[data-testid=segment-bar]")
        expect(page.locator("[data-testid=account-row]")).to_have_count(3)
        fit = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert fit[0] <= fit[1], fit
    finally:
        context.close()
