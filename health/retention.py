"""Retention of raw usage events: events older than the cutoff go, rollups stay.

PostgreSQL: every monthly partition that ends before the cutoff's month is detached and
dropped whole (no row-by-row delete, no bloat); what is left older than the cutoff (the
default partition, the start of the cutoff's month) is deleted in batches, as on SQLite.

The daily rollups and scores are kept, so the account pages and health history are
unchanged. But a rollup rebuild (``manage.py repair rollups``) over days whose events
are gone would recompute those days from nothing: do not repair before the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models

from core.monitoring.retention import DEFAULT_BATCH, delete_in_batches

from .models import UsageEvent
from .partitions import event_partitions_detach, partitioning_supported


@dataclass(frozen=True)
class EventsPruned:
    deleted: int
    partitions_dropped: list[str]


def events_expired(*, before: datetime) -> models.QuerySet[UsageEvent]:
    return UsageEvent.objects.filter(occurred_at__lt=before)


def events_prune(*, before: datetime, batch_size: int = DEFAULT_BATCH) -> EventsPruned:
    """Delete usage events that occurred before ``before``; idempotent."""
    dropped: list[str] = []
    if partitioning_supported():
        for name in event_partitions_detach(before=before.date()):
            with connection.cursor() as cursor:
                # A caller's open transaction may hold deferred foreign-key checks on
                # the table, which DROP refuses: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            dropped.append(name)
    deleted = delete_in_batches(events_expired(before=before), batch_size=batch_size)
    return EventsPruned(deleted=deleted, partitions_dropped=dropped)
