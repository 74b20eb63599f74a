"""Monthly partitions of the usage-event table on PostgreSQL (raw SQL kept in one place).

Partitions are named ``health_usageevent_pYYYY_MM`` and cover one calendar month cut
at 00:00 UTC. A DEFAULT partition catches whatever no monthly partition covers (e.g. a
back-fill of old history), so ingest never fails for want of a partition; creating a
month later moves such rows out of the default partition.

On SQLite there are no partitions: every function here is a no-op that returns an
empty list, and the one plain table holds everything.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from core.locks import advisory_xact_lock

from .models import UsageEvent

PARTITION_NAME = re.compile(r"^(?P<table>.+)_p(?P<year>\d{4})_(?P<month>\d{2})$")
# Arbitrary, fixed key so two maintenance runs (two beat hosts) never interleave DDL.
_MAINTENANCE_LOCK_NAMESPACE = 0x4845414C  # "HEAL"


def partitioning_supported() -> bool:
    return connection.vendor == "postgresql"


def month_start(day: date, plus: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + plus
    return date(index // 12, index % 12 + 1, 1)


def _table() -> str:
    return UsageEvent._meta.db_table


def partition_name(month: date) -> str:
    return f"{_table()}_p{month:%Y_%m}"


def event_partitions() -> list[str]:
    """Names of the monthly partitions currently attached, oldest first."""
    if not partitioning_supported():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [_table()],
        )
        return [name for (name,) in cursor.fetchall() if PARTITION_NAME.match(name)]


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def _create_month(cursor: CursorWrapper, month: date) -> bool:
    """Create the partition for ``month`` if it is missing; True when it was created."""
    table, name = _table(), partition_name(month)
    lower, upper = _bound(month), _bound(month_start(month, 1))
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    default = f"{table}_default"
    cursor.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{default}" WHERE occurred_at >= %s AND occurred_at < %s)',  # noqa: S608
        [lower, upper],
    )
    has_strays = cursor.fetchone()[0]
    if has_strays:
        # PostgreSQL refuses a new partition while the default one holds rows of its
        # range: take the default out, create the month, move the rows, put it back.
        cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{default}"')
    cursor.execute(f"CREATE TABLE \"{name}\" PARTITION OF \"{table}\" FOR VALUES FROM ('{lower}') TO ('{upper}')")
    if has_strays:
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{default}" WHERE occurred_at >= %s AND occurred_at < %s RETURNING *) '  # noqa: S608
            f'INSERT INTO "{table}" SELECT * FROM moved',
            [lower, upper],
        )
        cursor.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{default}" DEFAULT')
    return True


def event_partitions_ensure(*, months_ahead: int, start: date | None = None) -> list[str]:
    """Make sure a partition exists for every month from ``start`` (default: this
    month) to ``months_ahead`` months after this month. Returns the names created."""
    if not partitioning_supported():
        return []
    this_month = month_start(timezone.now().date())
    month = month_start(start or this_month)
    last = month_start(this_month, months_ahead)
    created: list[str] = []
    while month <= last:
        # One transaction per month: a long back-fill keeps its locks short.
        with transaction.atomic(), connection.cursor() as cursor:
            advisory_xact_lock(_MAINTENANCE_LOCK_NAMESPACE, 0)
            if _create_month(cursor, month):
                created.append(partition_name(month))
        month = month_start(month, 1)
    return created


def event_partitions_detach(*, before: date) -> list[str]:
    """Detach every monthly partition that ends on or before the month of ``before``.

    Detached tables stay in the database (to archive, then drop, as the operator
    decides); their events no longer show through ``UsageEvent`` and a replay of one
    of them would be stored again (into the default partition). Returns the names.
    """
    if not partitioning_supported():
        return []
    cutoff = month_start(before)
    detached: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        advisory_xact_lock(_MAINTENANCE_LOCK_NAMESPACE, 0)
        for name in event_partitions():
            match = PARTITION_NAME.match(name)
            assert match is not None
            if month_start(date(int(match["year"]), int(match["month"]), 1), 1) <= cutoff:
                cursor.execute(f'ALTER TABLE "{_table()}" DETACH PARTITION "{name}"')
                detached.append(name)
    return detached
