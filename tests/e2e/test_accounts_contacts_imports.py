"""Browser: the overdue-contacts list (log a touch in place) and a polled import progress."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.imports import import_run_execute
from accounts.models import Account, ImportRun, Stakeholder, TimelineEntry
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


def test_csm_logs_a_touch_from_the_overdue_list_and_the_row_goes(page, screenshot):
    manager = make_person(Role.MANAGER, username="mgr", first_name="Jing", last_name="Chen")
    team = Team.objects.create(name="East", lead=manager)
    csm = make_person(Role.CSM, username="csm", team=team, first_name="Wei", last_name="Li")
    account = AccountFactory(owner=csm, name="Harbor Freight Co")
    vp = Stakeholder.objects.create(account=account, name="Zhao VP", tier="S", title="VP Sales")
    Stakeholder.objects.create(account=account, name="Qian Clerk", tier="B", title="Clerk")

    log_in(page, "csm")
    page.goto("/accounts/contacts/overdue/")
    rows = page.locator("[data-testid=overdue-contact]")
    expect(rows).to_have_count(2)
    screenshot("overdue-contacts")
    row = rows.filter(has_text="Zhao VP")
    row.locator("select[name=kind]").select_option("visit")
    row.locator("input[name=note]").fill("Visited to plan the QBR")
    row.locator("text=Log a touch").click()
    expect(rows).to_have_count(1)
    expect(page.locator("[data-testid=overdue-contact]", has_text="Zhao VP")).to_have_count(0)
    entry = TimelineEntry.objects.get(account=account, is_touchpoint=True)
    assert (entry.kind, entry.title, list(entry.stakeholders.all())) == ("visit", "Visited to plan the QBR", [vp])

    page.goto(f"/accounts/{account.pk}/#people")  # the account page's People tab
    status = page.locator("[data-testid=stakeholder]", has_text="Zhao VP").locator("[data-testid=contact-status]")
    expect(status).to_contain_text("next due")
    expect(status).not_to_contain_text("overdue")
    screenshot("account-contact-status")

    log_in(page, "mgr")
    page.goto("/accounts/contacts/overdue/")
    expect(page.locator("[data-testid=overdue-group]")).to_have_text(re.compile("Wei Li"))
    expect(page.locator("[data-testid=overdue-contact]")).to_have_count(1)


def test_import_progress_page_polls_until_the_result(page, screenshot):
    csm = make_person(Role.CSM, username="csm")
    header = "external_id,name,industry,arr,icp_fit,owner,go_live_date,status\n"
    data = (header + "".join(f"E2E-{i},Company {i},retail,1000,target,csm,,active\n" for i in range(40))).encode()
    # A run as ``import_start`` leaves it for a worker, which has checked half the rows.
    run = ImportRun.objects.create(
        actor=csm, kind="accounts", filename="big.csv", status="validating", total_rows=40, processed=20, source=data
    )

    log_in(page, "csm")
    page.goto(f"/accounts/import/{run.pk}/")
    expect(page.locator("[data-testid=import-progress]")).to_contain_text("20 of about 40 rows checked")
    screenshot("import-progress")
    ImportRun.objects.filter(pk=run.pk).update(status="queued")
    import_run_execute(run_id=run.pk)  # what the worker does
    expect(page.locator("[data-testid=import-result] [data-testid=created]")).to_have_text("40")
    assert page.locator("[data-testid=import-run]").get_attribute("hx-trigger") is None
    assert Account.objects.filter(external_id__startswith="E2E-").count() == 40
    screenshot("import-done")
