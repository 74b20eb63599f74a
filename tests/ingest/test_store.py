"""``events_store`` skips stored keys on every path, the COPY fast path included."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from health.models import UsageEvent
from health.storage import events_store, events_stored_positions
from health.validation import ValidEvent

pytestmark = pytest.mark.django_db(transaction=True)


def event(account_id: int, n: int) -> ValidEvent:
    return ValidEvent(
        n, account_id, datetime(2025, 6, 10, 1, n, tzinfo=UTC), "report.viewed", f"u{n}", Decimal(1), {"n": n}, f"e{n}"
    )


def test_a_batch_holding_stored_keys_stores_only_the_new_ones(org):
    account = org.accounts["csm_a1"][0].pk
    with transaction.atomic():
        assert events_store(events=[event(account, n) for n in range(3)], received_at=timezone.now()) == 3
    # Not checked first: on PostgreSQL the direct COPY meets the unique key and the
    # staged path takes over, in the same transaction, nothing doubled.
    with transaction.atomic():
        mixed = [event(account, n) for n in (1, 3, 4)]
        assert events_store(events=mixed, received_at=timezone.now()) == 2
        assert UsageEvent.objects.count() == 5
    assert sorted(UsageEvent.objects.values_list("event_id", flat=True)) == ["e0", "e1", "e2", "e3", "e4"]
    assert UsageEvent.objects.get(event_id="e4").properties == {"n": 4}


def test_the_stored_positions_are_found_by_their_exact_key(org):
    account = org.accounts["csm_a1"][0].pk
    with transaction.atomic():
        events_store(events=[event(account, n) for n in range(2)], received_at=timezone.now())
    stored = event(account, 1)
    keys = [
        (0, stored.key),
        (1, (account, "e1", datetime(2025, 6, 10, 1, 2, tzinfo=UTC))),  # same id, another time
        (2, (account, "e9", stored.occurred_at)),
        (3, (org.accounts["csm_a2"][0].pk, "e1", stored.occurred_at)),  # another account
    ]
    assert events_stored_positions(keys=keys) == {0}
