"""An admin finds the system status page in the navigation; a late job is red."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboundEmail
from org.models import Role
from tests.factories import PASSWORD, make_person
from tests.metrics.conftest import succeeded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_sees_the_late_nightly_job_in_red_and_retries_an_email(page, screenshot) -> None:
    make_person(Role.ADMIN, username="ops")
    succeeded("health-scores-nightly", at=timezone.now() - timedelta(hours=26))
    succeeded("core-heartbeat", at=timezone.now())
    failed = OutboundEmail.objects.create(
        dedupe_key="e2e:1", to=["a@example.com"], subject="Weekly digest", body_text="b", status="failed"
    )

    page.goto("/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=System")
    page.wait_for_url("**/system/")
    late = page.locator("[data-testid=job-health-scores-nightly]")
    assert late.get_attribute("data-late") == "true"
    # Bootstrap's table-danger: the late line is red, the healthy one is not.
    red = late.locator("td").first.evaluate("cell => getComputedStyle(cell).backgroundColor")
    fine = page.locator("[data-testid=job-core-heartbeat] td").first.evaluate(
        "cell => getComputedStyle(cell).backgroundColor"
    )
    assert red != fine
    assert "health-scores-nightly is late by" in page.inner_text("[data-testid=system-alerts]")
    screenshot("system-status")

    page.locator("[data-testid=failures] button", has_text="Retry").click()
    page.wait_for_url("**/system/")
    assert "The email is queued again." in page.inner_text("body")
    failed.refresh_from_db()
    assert failed.status == "queued"
