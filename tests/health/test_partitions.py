"""Monthly partitions of the events table: real on PostgreSQL, a no-op on SQLite.

Each test asserts the behaviour of the database it runs on (no skips): CI runs both.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from health.models import UsageEvent
from health.partitions import event_partitions, month_start, partition_name
from health.services import event_partitions_detach, event_partitions_ensure, events_ingest
from health.tasks import ensure_event_partitions_task

from .conftest import make_event

pytestmark = pytest.mark.django_db


def is_partitioned() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT c.relkind FROM pg_class c WHERE c.oid = %s::regclass", [UsageEvent._meta.db_table])
            return cursor.fetchone()[0] == "p"
        return False


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - test-made name
        return cursor.fetchone()[0]


def test_migration_leaves_the_right_kind_of_table():
    this_month = month_start(timezone.now().date())
    if connection.vendor == "postgresql":
        assert is_partitioned()
        names = event_partitions()
        # The migration ran when the test database was created: this month and 3 ahead.
        for ahead in range(4):
            assert partition_name(month_start(this_month, ahead)) in names
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY conname",
                [UsageEvent._meta.db_table],
            )
            constraints = {name for (name,) in cursor.fetchall()}
        assert "usage_event_idempotency" in constraints
    else:
        assert not is_partitioned()
        assert event_partitions() == []


def test_ensure_creates_partitions_ahead(settings):
    settings.HOURGLASS_EVENT_PARTITIONS_AHEAD = 6
    this_month = month_start(timezone.now().date())
    created = ensure_event_partitions_task.apply().get()
    if connection.vendor == "postgresql":
        assert created == [partition_name(month_start(this_month, n)) for n in (4, 5, 6)]
        assert event_partitions_ensure(months_ahead=6) == []  # idempotent
        assert partition_name(month_start(this_month, 6)) in event_partitions()
    else:
        assert created == []


def test_backfill_partition_takes_rows_out_of_the_default_partition(org):
    account = org.accounts["csm_a1"][0]
    events_ingest(
        actor=org.csm_a1,
        events=[make_event(account, n, occurred_at=f"2024-02-{n + 1:02d}T10:00:00Z") for n in range(3)],
    )
    created = event_partitions_ensure(months_ahead=0, start=date(2024, 1, 15))
    if connection.vendor == "postgresql":
        assert partition_name(date(2024, 1, 1)) in created
        assert partition_name(date(2024, 2, 1)) in created
        assert rows_in(partition_name(date(2024, 2, 1))) == 3
        assert rows_in(f"{UsageEvent._meta.db_table}_default") == 0
    else:
        assert created == []
    # Either way the events are all there and replays are still recognised.
    assert UsageEvent.objects.count() == 3
    replay = [make_event(account, n, occurred_at=f"2024-02-{n + 1:02d}T10:00:00Z") for n in range(3)]
    assert events_ingest(actor=org.csm_a1, events=replay).duplicates == 3


def test_detach_old_partitions(org):
    account = org.accounts["csm_a1"][0]
    event_partitions_ensure(months_ahead=0, start=date(2024, 1, 1))
    events_ingest(actor=org.csm_a1, events=[make_event(account, 0, occurred_at="2024-01-10T10:00:00Z")])
    detached = event_partitions_detach(before=date(2024, 3, 20))
    if connection.vendor == "postgresql":
        assert detached == [partition_name(date(2024, 1, 1)), partition_name(date(2024, 2, 1))]
        assert partition_name(date(2024, 1, 1)) not in event_partitions()
        # Detached, not dropped: the rows wait in their own table for archiving.
        assert rows_in(partition_name(date(2024, 1, 1))) == 1
        assert UsageEvent.objects.count() == 0
        assert partition_name(date(2024, 3, 1)) in event_partitions()
    else:
        assert detached == []
        assert UsageEvent.objects.count() == 1
