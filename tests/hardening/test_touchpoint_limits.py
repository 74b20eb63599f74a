"""A touchpoint records what happened: no far-future date, no unbounded summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.forms import TOUCHPOINT_TEXT_MAX, TouchpointForm
from accounts.models import TimelineEntry


def _form(account, **data):
    return TouchpointForm(data={"kind": "call", "title": "Call", **data}, account=account)


@pytest.mark.django_db
def test_the_form_refuses_a_date_after_tomorrow_and_accepts_tomorrow(org) -> None:
    account = org.accounts["csm_a1"][0]
    later = timezone.localtime() + timedelta(days=2)
    form = _form(account, occurred_at=later.strftime("%Y-%m-%dT%H:%M"))
    assert not form.is_valid()
    assert "no later than tomorrow" in form.errors["occurred_at"][0]

    tomorrow = timezone.localtime() + timedelta(days=1)
    assert _form(account, occurred_at=tomorrow.strftime("%Y-%m-%dT%H:%M")).is_valid()


@pytest.mark.django_db
def test_the_form_refuses_a_summary_over_the_limit(org) -> None:
    account = org.accounts["csm_a1"][0]
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    form = _form(account, occurred_at=now, body="x" * (TOUCHPOINT_TEXT_MAX + 1), outcome="ok")
    assert not form.is_valid() and set(form.errors) == {"body"}
    assert _form(account, occurred_at=now, body="x" * TOUCHPOINT_TEXT_MAX).is_valid()


@pytest.mark.django_db
def test_the_api_names_the_field_and_writes_nothing(client, org) -> None:
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    before = TimelineEntry.objects.count()

    far = {"account_id": account.pk, "kind": "call", "title": "Call", "occurred_at": "2099-12-31T10:00:00+08:00"}
    response = client.post("/api/v1/timeline/", far, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["occurred_at"]

    long = {"account_id": account.pk, "kind": "call", "title": "Call", "outcome": "y" * (TOUCHPOINT_TEXT_MAX + 1)}
    response = client.post("/api/v1/timeline/", long, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["outcome"]

    assert TimelineEntry.objects.count() == before

    fine = {"account_id": account.pk, "kind": "call", "title": "Call", "body": "z" * TOUCHPOINT_TEXT_MAX}
    assert client.post("/api/v1/timeline/", fine, content_type="application/json").status_code == 201
