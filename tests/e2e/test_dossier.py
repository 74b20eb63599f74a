from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import SectionKey
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


def test_csm_completes_a_section_manager_reviews_csm_sees_it(page, screenshot):
    manager = make_person(Role.MANAGER, username="mgr", first_name="Jing", last_name="Chen")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="csm", team=team, first_name="Wei", last_name="Li")
    account = AccountFactory(owner=csm, name="Harbor Freight Co")

    log_in(page, "csm")
    page.goto(f"/accounts/{account.pk}/#dossier")  # the account page's Dossier tab
    assert page.inner_text("[data-testid=dossier-score]") == "0"
    section = page.locator("[data-section=company_overview]")
    section.locator("[data-testid=dossier-edit]").click()
    form = page.locator("[data-testid=dossier-form][data-section=company_overview]")
    form.locator("textarea").fill(
        "Regional freight forwarder, 600 staff in 4 cities; growing 15% a year, owner-managed, cost-focused."
    )
    form.locator("[data-testid=dossier-save]").click()
    page.wait_for_selector("[data-section=company_overview] >> text=Regional freight forwarder")
    expect(page.locator("[data-testid=dossier-score]")).to_have_text("10")
    screenshot("dossier-edited")

    log_in(page, "mgr")
    page.click("nav >> text=Dossier reviews")
    page.click(f"[data-testid=queue-row]:has-text('{account.name}') >> text=Review")
    for key in SectionKey.values:
        page.check(f"input[name=rating_{key}][value='3']")
    page.check("input[name=verdict][value=needs_work]")
    page.fill("textarea[name=comment]", "Add the customer's approval and payment processes.")
    screenshot("dossier-review-form")
    page.click("text=Save review")
    page.wait_for_url("**/accounts/reviews/")

    log_in(page, "csm")
    assert page.locator("[data-testid=notification-bell] .badge").inner_text() == "1"
    page.goto(f"/accounts/{account.pk}/#dossier")  # the account page's Dossier tab
    review = page.locator("[data-testid=latest-review]")
    assert "Needs work" in review.inner_text()
    assert "approval and payment processes" in review.inner_text()
    screenshot("dossier-review-seen-by-csm")
