"""Browser: every tab of the account page is Chinese for a Chinese CSM (the demo data)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from tests.e2e.test_account_page import SHOTS
from tests.e2e.test_zh_hans_pages import (  # noqa: F401 - two fixtures
    english_msgids,
    migration_seeds,
    untranslated_on,
    zh_csm_page,
)
from workspace.account_page.tabs import TAB_SLUGS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_every_tab_is_chinese(zh_csm_page: Any) -> None:  # noqa: F811 - the fixture imported above
    page = zh_csm_page
    english = english_msgids()
    account = Account.objects.filter(owner__username="csm.li").order_by("-arr").first()
    assert account is not None
    problems = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for slug in TAB_SLUGS:
        page.goto(f"/accounts/{account.pk}/#{slug}")  # from the second on, only the hash changes
        expect(page.locator(f"[data-testid=tab-{slug}]")).to_have_attribute("aria-selected", "true")
        expect(page.locator(f"#tab-{slug}")).not_to_have_attribute("aria-busy", "true")  # loaded
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"zh-hans-{slug}.png"), full_page=True)
        if found := untranslated_on(page, english):
            problems[slug] = found
    assert problems == {}
