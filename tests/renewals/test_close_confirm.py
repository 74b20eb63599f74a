"""Closing a renewal asks to confirm with a reason, which the timeline entry shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import TimelineEntry
from renewals.models import RenewalStatus
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db


def test_close_in_two_steps_with_htmx(client: Any, org: Any) -> None:
    renewal = make_renewal(org.csm_a1, days_left=20)
    client.force_login(org.csm_a1)
    url = reverse("renewals:close", args=[renewal.pk])
    page = client.get(reverse("renewals:detail", args=[renewal.pk])).content.decode()
    assert f'hx-post="{url}"' in page and 'id="close-confirm"' in page
    fields = {"outcome": "renewed", "outcome_arr": "120000"}
    # A wrong outcome is caught at the first step, before asking to confirm (the service's check).
    wrong = client.post(url, {"outcome": "downgraded", "outcome_arr": "500000"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 200 and 'data-testid="close-errors"' in wrong.content.decode()
    step = client.post(url, fields, headers={"HX-Request": "true"})
    text = step.content.decode()
    assert step.status_code == 200 and 'data-testid="close-confirm"' in text and "<html" not in text
    assert 'name="step" value="confirm"' in text and 'name="outcome_arr"' in text
    renewal.refresh_from_db()
    assert renewal.is_open and not TimelineEntry.objects.filter(kind="renewal_closed").exists()
    too_long = client.post(url, fields | {"step": "confirm", "reason": "z" * 501})
    assert too_long.status_code == 400 and "reason" in too_long.context["close_confirm"].errors
    done = client.post(url, fields | {"step": "confirm", "reason": "Signed for 2027 at a higher price"})
    assert done.status_code == 302
    renewal.refresh_from_db()
    assert renewal.status == RenewalStatus.RENEWED
    entry = TimelineEntry.objects.get(kind="renewal_closed")
    assert entry.display_body == "Signed for 2027 at a higher price"
    assert entry.data["reason"] == "Signed for 2027 at a higher price"
    account_page = client.get(reverse("accounts:detail", args=[renewal.account_id])).content.decode()
    assert "Signed for 2027 at a higher price" in account_page


def test_the_api_requires_the_reason(client: Any, org: Any) -> None:
    renewal = make_renewal(org.csm_a1, days_left=20)
    client.force_login(org.csm_a1)
    url = f"/api/v1/renewals/{renewal.pk}/close/"
    body = {"outcome": "renewed", "outcome_arr": "100000"}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()
    response = client.post(url, body | {"reason": "r" * 501}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()
    renewal.refresh_from_db()
    assert renewal.is_open
    response = client.post(url, body | {"reason": "Renewed on the phone"}, content_type="application/json")
    assert response.status_code == 200
    assert TimelineEntry.objects.get(kind="renewal_closed").body == "Renewed on the phone"
