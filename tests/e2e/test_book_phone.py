"""Issue 20: on a phone the book's rows are cards — the name on top, then each shown
column with its label — and the page does not scroll sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from org.models import ColumnPreference, Role
from tests.factories import PASSWORD, AccountFactory, make_person

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "book-phone"
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CARDS_JS = """() => {
  const rows = [...document.querySelectorAll('[data-testid=account-row]')];
  const head = document.querySelector('[data-testid=book-table] thead');
  const industry = rows[0].querySelector('[data-col=industry]');
  return {
    rows: rows.map(r => getComputedStyle(r).display),
    head: getComputedStyle(head).display,
    label: getComputedStyle(industry, '::before').content,
    segment: getComputedStyle(rows[0].querySelector('[data-col=segment]')).display,
    fits: document.documentElement.scrollWidth <= window.innerWidth,
  };
}"""


def _open_the_book(page) -> None:
    page.goto("/login/")
    page.fill("#id_username", "csm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    page.goto("/accounts/")
    page.wait_for_selector("[data-testid=account-row]")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_book_is_cards_on_a_phone_in_both_languages(browser, live_server, language):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    for i in range(3):
        AccountFactory(owner=csm, name=f"Account with a rather long name number {i}", industry="retail")
    ColumnPreference.objects.create(user=csm, table="book", hidden=["segment"])
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    host = live_server.url.split("//", 1)[1].split(":", 1)[0]
    context.add_cookies([{"name": "django_language", "value": language, "domain": host, "path": "/"}])
    page = context.new_page()
    try:
        _open_the_book(page)
        cards = page.evaluate(CARDS_JS)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"book-phone-{language}.png"), full_page=True)
        assert cards["rows"] == ["flex"] * 3
        assert cards["head"] == "none"
        assert cards["label"] == ('"Industry "' if language == "en" else '"行业 "')
        assert cards["segment"] == "none"  # the column chooser still applies
        assert cards["fits"]
    finally:
        context.close()

    wide = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    page = wide.new_page()
    try:
        _open_the_book(page)
        assert page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=account-row]')).display") == (
            "table-row"
        )
    finally:
        wide.close()
