"""The capacity API: books, figures, planner, time entries — same scope as the pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from capacity.models import ActivityType, TimeEntry
from capacity.services import time_entry_create
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("capacity_defaults")]


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_books_are_scoped(org):
    assert [r["username"] for r in api(org.csm_a1).get("/api/v1/capacity/books/").json()] == ["csm_a1"]
    assert sorted(r["username"] for r in api(org.manager_a).get("/api/v1/capacity/books/").json()) == [
        "csm_a1",
        "csm_a2",
    ]
    assert len(api(org.admin).get("/api/v1/capacity/books/").json()) == 3
    assert APIClient().get("/api/v1/capacity/books/").status_code in (401, 403)


def test_book_row_carries_the_status_and_reasons(org):
    AccountFactory(owner=org.csm_a1, arr=Decimal("6000000"))
    row = api(org.csm_a1).get("/api/v1/capacity/books/").json()[0]
    assert row["accounts"] == 3
    assert Decimal(row["arr"]) == Decimal("6200000")
    assert row["status"] == "over"
    assert row["reasons"] == ["ARR ¥6,200,000 is above the preset's ¥5,000,000 per CSM."]
    assert {s["key"] for s in row["by_segment"]} == {"enterprise", "mid_market", "smb", "tech_touch"}


def test_figures_show_the_preset_and_hours(org):
    body = api(org.manager_a).get("/api/v1/capacity/figures/").json()
    assert body["preset"]["name"] == "China: ¥2–5M per CSM"
    assert Decimal(body["available_hours_a_year"]) == Decimal("960")
    assert len(body["hours_by_segment"]) == 4
    assert api(org.csm_a1).get("/api/v1/capacity/figures/").json()["recommendations"] == []


def test_planner_api(org):
    response = api(org.manager_a).get(
        "/api/v1/capacity/planner/", {"segment": "enterprise", "accounts": 100, "ratio": 5}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["csms_at_ratio"] == 20
    assert body["csms_fewest"] == 5
    assert api(org.manager_a).get("/api/v1/capacity/planner/", {"segment": "nope", "accounts": 1}).status_code == 400
    assert api(org.csm_a1).get("/api/v1/capacity/planner/", {"segment": "enterprise", "accounts": 1}).status_code == 403


def test_time_entries_crud_own_and_validation(org):
    client = api(org.csm_a1)
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    created = client.post(
        "/api/v1/time-entries/",
        {"activity_type": "visit", "date": today.isoformat(), "minutes": 60, "account": account.pk},
    )
    assert created.status_code == 201, created.content
    assert created.json()["user"] == org.csm_a1.pk
    pk = created.json()["id"]
    assert client.patch(f"/api/v1/time-entries/{pk}/", {"minutes": 75}).json()["minutes"] == 75
    negative = client.post(
        "/api/v1/time-entries/", {"activity_type": "visit", "date": today.isoformat(), "minutes": -5}
    )
    assert negative.status_code == 400 and "minutes" in negative.content.decode()
    future = client.post(
        "/api/v1/time-entries/",
        {"activity_type": "visit", "date": (today + timedelta(days=8)).isoformat(), "minutes": 5},
    )
    assert future.status_code == 400 and "date" in future.content.decode()
    foreign = client.post(
        "/api/v1/time-entries/",
        {"activity_type": "visit", "date": today.isoformat(), "minutes": 5, "account": org.accounts["csm_b1"][0].pk},
    )
    assert foreign.status_code == 400 and "account" in foreign.content.decode()
    assert client.delete(f"/api/v1/time-entries/{pk}/").status_code == 204
    assert not TimeEntry.objects.exists()


def test_other_peoples_entries_404_and_managers_read_their_team(org):
    visit = ActivityType.objects.get(code="visit")
    entry = time_entry_create(user=org.csm_a2, activity_type=visit, date=timezone.localdate(), minutes=30)
    other = time_entry_create(user=org.csm_b1, activity_type=visit, date=timezone.localdate(), minutes=30)
    csm = api(org.csm_a1)
    assert csm.get(f"/api/v1/time-entries/{entry.pk}/").status_code == 404
    assert csm.patch(f"/api/v1/time-entries/{entry.pk}/", {"minutes": 1}).status_code == 404
    assert csm.delete(f"/api/v1/time-entries/{entry.pk}/").status_code == 404
    manager = api(org.manager_a)
    assert [e["id"] for e in manager.get("/api/v1/time-entries/").json()["results"]] == [entry.pk]
    assert manager.get(f"/api/v1/time-entries/{entry.pk}/").status_code == 200
    assert manager.get(f"/api/v1/time-entries/{other.pk}/").status_code == 404
    assert manager.patch(f"/api/v1/time-entries/{entry.pk}/", {"minutes": 1}).status_code == 404
    assert TimeEntry.objects.get(pk=entry.pk).minutes == 30


def test_books_api_query_count_does_not_grow(org):
    client = api(org.admin)
    client.get("/api/v1/capacity/books/")
    with CaptureQueriesContext(connection) as before:
        client.get("/api/v1/capacity/books/")
    for _ in range(5):
        AccountFactory(owner=org.csm_b1, arr=Decimal("20000"))
    with CaptureQueriesContext(connection) as after:
        client.get("/api/v1/capacity/books/")
    assert len(before.captured_queries) == len(after.captured_queries)
