"""The ingest service: validate everything first, store all or nothing, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from health.models import UsageEvent
from health.services import IngestResult, IngestValidationError, events_ingest

from .conftest import make_event

pytestmark = pytest.mark.django_db


def test_valid_batch_is_stored_exactly(org):
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, n) for n in range(3)]
    events[1].update(quantity="2.5", properties={"plan": "pro", "seats": [1, 2]}, user_id="alice")
    events[2].pop("user_id")
    events[2]["account_id"] = events[2].pop("account_external_id") and account.pk

    result = events_ingest(actor=org.csm_a1, events=events)

    assert result == IngestResult(stored=3, duplicates=0)
    stored = {e.event_id: e for e in UsageEvent.objects.all()}
    assert set(stored) == {"evt-0", "evt-1", "evt-2"}
    one = stored["evt-1"]
    assert one.account_id == account.pk
    assert one.occurred_at == datetime(2025, 6, 10, 1, 30, tzinfo=UTC)
    assert one.quantity == Decimal("2.5")
    assert one.properties == {"plan": "pro", "seats": [1, 2]}
    assert one.customer_user_id == "alice"
    assert stored["evt-2"].customer_user_id == ""
    assert stored["evt-2"].quantity == Decimal("1")
    assert one.received_at <= timezone.now()


def test_partly_invalid_batch_stores_nothing_and_names_every_error(org):
    account = org.accounts["csm_a1"][0]
    events = [
        make_event(account, 0),
        make_event(account, 1, event_name="", quantity=-1),
        make_event(account, 2),
        make_event(account, 3, event_id="x" * 101, properties=[1, 2]),
        "not an object",
        make_event(account, 5, occurred_at="yesterday", colour="blue"),
    ]
    with pytest.raises(IngestValidationError) as caught:
        events_ingest(actor=org.csm_a1, events=events)

    assert sorted((e["index"], e["field"]) for e in caught.value.errors) == [
        (1, "event_name"),
        (1, "quantity"),
        (3, "event_id"),
        (3, "properties"),
        (4, ""),
        (5, "colour"),
        (5, "occurred_at"),
    ]
    assert all(e["reason"] for e in caught.value.errors)
    assert not UsageEvent.objects.exists()


def test_replay_is_ignored_and_counted(org):
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, n) for n in range(5)]
    assert events_ingest(actor=org.csm_a1, events=events) == IngestResult(stored=5, duplicates=0)
    # The same instants in another offset are the same events.
    replay = [dict(e, occurred_at="2025-06-10T01:30:00Z") for e in events]
    assert events_ingest(actor=org.csm_a1, events=replay) == IngestResult(stored=0, duplicates=5)
    mixed = [*events[:2], make_event(account, 99)]
    assert events_ingest(actor=org.csm_a1, events=mixed) == IngestResult(stored=1, duplicates=2)
    assert UsageEvent.objects.count() == 6


def test_duplicates_within_one_batch_are_stored_once(org):
    account = org.accounts["csm_a1"][0]
    first = make_event(account, 1, event_name="first")
    repeat = make_event(account, 1, event_name="second")  # same key, first one wins
    result = events_ingest(actor=org.csm_a1, events=[first, repeat, make_event(account, 2)])
    assert result == IngestResult(stored=2, duplicates=1)
    assert UsageEvent.objects.get(event_id="evt-1").event_name == "first"


def test_same_event_id_at_another_time_is_another_event(org):
    """The documented consequence of a key that includes the partition key."""
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, 1), make_event(account, 1, occurred_at="2025-06-11T09:30:00+08:00")]
    assert events_ingest(actor=org.csm_a1, events=events) == IngestResult(stored=2, duplicates=0)


def test_same_event_id_for_two_accounts_is_two_events(org):
    a, b = org.accounts["csm_a1"]
    assert events_ingest(actor=org.csm_a1, events=[make_event(a, 1), make_event(b, 1)]).stored == 2


def test_account_outside_scope_is_refused_like_a_missing_one(org):
    mine = org.accounts["csm_a1"][0]
    theirs = org.accounts["csm_b1"][0]
    events = [
        make_event(mine, 0),
        make_event(theirs, 1),
        make_event(mine, 2, account_external_id="NO-SUCH-ACCOUNT"),
        {**make_event(mine, 3), "account_id": theirs.pk, "account_external_id": None},
    ]
    with pytest.raises(IngestValidationError) as caught:
        events_ingest(actor=org.csm_a1, events=events)
    errors = caught.value.errors
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "account_external_id"),
        (2, "account_external_id"),
        (3, "account_id"),
    ]
    # Same words whether the account exists elsewhere or not at all: no existence leak.
    assert len({e["reason"] for e in errors}) == 1
    assert not UsageEvent.objects.exists()


def test_manager_and_admin_scopes(org):
    team_account = org.accounts["csm_a2"][0]
    assert events_ingest(actor=org.manager_a, events=[make_event(team_account, 0)]).stored == 1
    with pytest.raises(IngestValidationError):
        events_ingest(actor=org.manager_b, events=[make_event(team_account, 1)])
    assert events_ingest(actor=org.admin, events=[make_event(org.unassigned, 2)]).stored == 1


@pytest.mark.parametrize(
    ("occurred_at", "ok"),
    [
        ("2025-06-10T09:30:00", False),  # naive
        ("2025-06-10 09:30", False),  # naive
        ("2025-06-10", False),  # a date, no time zone
        ("10/06/2025 09:30 +0800", False),
        ("", False),
        (1749519000, False),  # epoch seconds are not ISO 8601
        ("2025-06-10T09:30:00Z", True),
        ("2025-06-10T09:30:00.123456-05:00", True),
    ],
)
def test_timestamps_must_be_iso_8601_with_a_time_zone(org, occurred_at, ok):
    account = org.accounts["csm_a1"][0]
    event = make_event(account, 0, occurred_at=occurred_at)
    if ok:
        assert events_ingest(actor=org.csm_a1, events=[event]).stored == 1
    else:
        with pytest.raises(IngestValidationError) as caught:
            events_ingest(actor=org.csm_a1, events=[event])
        assert [e["field"] for e in caught.value.errors] == ["occurred_at"]


def test_future_timestamps_beyond_one_day_are_refused(org):
    account = org.accounts["csm_a1"][0]
    soon = (timezone.now() + timedelta(hours=23)).isoformat()
    too_late = (timezone.now() + timedelta(days=1, minutes=5)).isoformat()
    assert events_ingest(actor=org.csm_a1, events=[make_event(account, 0, occurred_at=soon)]).stored == 1
    with pytest.raises(IngestValidationError) as caught:
        events_ingest(actor=org.csm_a1, events=[make_event(account, 1, occurred_at=too_late)])
    assert caught.value.errors[0]["field"] == "occurred_at"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_name": "   "}, "event_name"),
        ({"event_name": "x" * 101}, "event_name"),
        ({"event_name": None}, "event_name"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": {"a": 1}}, "event_id"),
        ({"quantity": "lots"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "1e30"}, "quantity"),
        ({"quantity": "0.0000001"}, "quantity"),
        ({"properties": "plain text"}, "properties"),
        ({"user_id": "u" * 256}, "user_id"),
        ({"account_external_id": None}, "account_id"),
        ({"account_id": 1}, "account_id"),  # both given
    ],
)
def test_field_rules(org, overrides, field):
    event = make_event(org.accounts["csm_a1"][0], 0, **overrides)
    with pytest.raises(IngestValidationError) as caught:
        events_ingest(actor=org.csm_a1, events=[event])
    assert [e["field"] for e in caught.value.errors] == [field]


def test_numeric_forms_accepted(org):
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, n, quantity=q) for n, q in enumerate([0, 3, 2.25, "7.125", "0.000001"])]
    events.append(make_event(account, 9, event_id=12345))  # numeric ids are taken as text
    assert events_ingest(actor=org.csm_a1, events=events).stored == 6
    assert sorted(UsageEvent.objects.values_list("quantity", flat=True)) == [
        Decimal("0"),
        Decimal("0.000001"),
        Decimal("1"),
        Decimal("2.25"),
        Decimal("3"),
        Decimal("7.125"),
    ]
    assert UsageEvent.objects.filter(event_id="12345").exists()


def test_empty_batch_stores_nothing(org):
    assert events_ingest(actor=org.csm_a1, events=[]) == IngestResult(stored=0, duplicates=0)


def test_query_count_does_not_grow_with_the_batch(org):
    """No per-event queries: 10 and 1,000 events take the same, small number."""
    accounts = org.accounts["csm_a1"]
    counts = []
    for size, offset in ((10, 0), (1000, 10_000)):
        events = [make_event(accounts[n % 2], offset + n) for n in range(size)]
        with CaptureQueriesContext(connection) as queries:
            assert events_ingest(actor=org.csm_a1, events=events).stored == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def test_query_count_bound_with_pytest_django(org, django_assert_max_num_queries):
    accounts = org.accounts["csm_a1"]
    org.csm_a1.refresh_from_db()  # fresh user object: the role lookup is counted too
    for size, offset in ((10, 0), (1000, 10_000)):
        events = [make_event(accounts[n % 2], offset + n) for n in range(size)]
        with django_assert_max_num_queries(9):
            events_ingest(actor=org.csm_a1, events=events)
