"""Writes of the health app: usage-event ingest and the daily rollups built from it."""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.access import AnyUser

from .models import DailyFeatureRollup, DailyRollup, UsageEvent
from .partitions import event_partitions_detach, event_partitions_ensure
from .storage import events_store
from .validation import EventError, ValidEvent, events_validate

logger = logging.getLogger(__name__)

__all__ = [
    "IngestResult",
    "IngestValidationError",
    "event_partitions_detach",
    "event_partitions_ensure",
    "events_ingest",
    "rollups_rebuild",
    "rollups_recompute",
]

# (account id, local day) pairs per rollup task: big enough to amortise a task, small
# enough that one task's aggregation stays quick.
ROLLUP_CHUNK = 500
# Arbitrary fixed class id for the per-account advisory locks of rollup computation.
_ROLLUP_LOCK_CLASS = 0x524F4C4C  # "ROLL"

AccountDay = tuple[int, date]


class IngestValidationError(Exception):
    """The batch was refused; ``errors`` names every invalid event's index, field and reason."""

    def __init__(self, errors: list[EventError]) -> None:
        super().__init__(f"{len(errors)} invalid event field(s)")
        self.errors = errors


@dataclass(frozen=True)
class IngestResult:
    stored: int
    duplicates: int


def local_zone() -> ZoneInfo:
    """Rollup days are calendar days of the deployment (settings.TIME_ZONE), not of
    whatever zone a request happened to activate."""
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = local_zone()
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- Ingest ---------------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while one batch is parsed, checked and stored.

    A 10,000-event batch allocates some 200,000 small objects (dicts, strings,
    Decimals), none of them in reference cycles; every 700 allocations CPython would
    run a collection that walks ever more of them, and the full collections it
    triggers walk the whole process heap. That took longer than parsing the JSON.
    Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@transaction.atomic
def events_ingest(*, actor: AnyUser, events: Sequence[Any]) -> IngestResult:
    """Validate every event, then store all of them or none.

    Events whose idempotency key is already stored, or repeated within the batch, are
    counted as duplicates and not stored again (the first one wins). The rollups of
    the touched account-days are refreshed by a Celery task after commit.
    """
    with gc_paused():
        return _events_ingest(actor=actor, events=events)


def _events_ingest(*, actor: AnyUser, events: Sequence[Any]) -> IngestResult:
    valid, errors = events_validate(actor=actor, events=events)
    if errors:
        raise IngestValidationError(errors)
    unique: dict[tuple[int, str, datetime], ValidEvent] = {}
    for event in valid:
        unique.setdefault(event.key, event)
    batch = list(unique.values())
    stored = events_store(events=batch, received_at=timezone.now())
    if stored:
        pairs = sorted({(event.account_id, local_day(event.occurred_at)) for event in batch})
        # robust: the events are committed whatever happens to the broker; a failed
        # enqueue is logged and `rebuild_rollups` catches up, the client gets its 201.
        transaction.on_commit(lambda: _enqueue_rollups(pairs), robust=True)
    return IngestResult(stored=stored, duplicates=len(valid) - stored)


def _enqueue_rollups(pairs: Sequence[AccountDay]) -> None:
    from .tasks import rollup_accounts_days_task  # tasks import this module

    for start in range(0, len(pairs), ROLLUP_CHUNK):
        chunk: list[list[int | str]] = [
            [account_id, day.isoformat()] for account_id, day in pairs[start : start + ROLLUP_CHUNK]
        ]
        # A short repr for logs and monitoring: Celery would otherwise build a safe repr
        # of every pair for each message (a fifth of a 10,000-event request).
        options: dict[str, Any] = {"argsrepr": "()", "kwargsrepr": f"{{'pairs': <{len(chunk)} account-days>}}"}
        rollup_accounts_days_task.apply_async(kwargs={"pairs": chunk}, **options)  # (not in celery-stubs)


# --- Rollups --------------------------------------------------------------------------


def _pairs_q(days: dict[date, list[int]], *, day_field: str | None) -> Q:
    """Rows of the given account-days: by local-day time range on events, by ``day`` on rollups."""
    condition = Q(pk__in=[])
    for day, account_ids in days.items():
        if day_field is None:
            start, end = day_bounds(day)
            condition |= Q(account_id__in=account_ids, occurred_at__gte=start, occurred_at__lt=end)
        else:
            condition |= Q(account_id__in=account_ids, **{day_field: day})
    return condition


def _lock_accounts(account_ids: Iterable[int]) -> None:
    """Serialise rollup runs per account on PostgreSQL, so a run that read older data
    can never overwrite the result of a later one. Locks are taken in id order (no
    deadlocks) and released at commit. SQLite serialises writers already."""
    if connection.vendor != "postgresql":
        return
    ordered = sorted(set(account_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, (a %% 2147483647)::int) FROM unnest(%s::bigint[]) AS a",
            [_ROLLUP_LOCK_CLASS, ordered],
        )


@transaction.atomic
def rollups_recompute(*, pairs: Iterable[AccountDay]) -> int:
    """Recompute the daily and per-feature rollups of the given (account id, day) pairs
    from the events, set-based. Returns the number of DailyRollup rows written.

    Idempotent: running it twice, or for pairs without events (their rollups are
    deleted), leaves the same result.
    """
    days: dict[date, list[int]] = defaultdict(list)
    for account_id, day in set(pairs):
        days[day].append(account_id)
    if not days:
        return 0
    _lock_accounts(account_id for ids in days.values() for account_id in ids)
    run_at = timezone.now()
    zone = local_zone()
    events = UsageEvent.objects.filter(_pairs_q(days, day_field=None)).order_by()
    per_day = events.values("account_id", local=TruncDate("occurred_at", tzinfo=zone)).annotate(
        n_events=Count("pk"),
        n_users=Count("customer_user_id", distinct=True, filter=~Q(customer_user_id="")),
        total=Sum("quantity"),
    )
    rollups = [
        DailyRollup(
            account_id=row["account_id"],
            day=row["local"],
            events=row["n_events"],
            active_users=row["n_users"],
            quantity=row["total"] or 0,
            computed_at=run_at,
        )
        for row in per_day
    ]
    per_feature = events.values("account_id", "event_name", local=TruncDate("occurred_at", tzinfo=zone)).annotate(
        n_events=Count("pk"),
        n_users=Count("customer_user_id", distinct=True, filter=~Q(customer_user_id="")),
    )
    features = [
        DailyFeatureRollup(
            account_id=row["account_id"],
            day=row["local"],
            event_name=row["event_name"],
            events=row["n_events"],
            users=row["n_users"],
            computed_at=run_at,
        )
        for row in per_feature
    ]
    DailyRollup.objects.bulk_create(
        rollups,
        update_conflicts=True,
        unique_fields=["account", "day"],
        update_fields=["events", "active_users", "quantity", "computed_at"],
    )
    DailyFeatureRollup.objects.bulk_create(
        features,
        update_conflicts=True,
        unique_fields=["account", "day", "event_name"],
        update_fields=["events", "users", "computed_at"],
    )
    # Whatever this run did not write has no events any more (deleted, detached).
    DailyRollup.objects.filter(_pairs_q(days, day_field="day"), computed_at__lt=run_at).delete()
    DailyFeatureRollup.objects.filter(_pairs_q(days, day_field="day"), computed_at__lt=run_at).delete()
    return len(rollups)


def rollups_rebuild(*, start: date, end: date, account_ids: Iterable[int] | None = None) -> int:
    """Recompute every rollup from ``start`` to ``end`` (inclusive, local days), for all
    accounts or only ``account_ids``. One day per transaction keeps locks short.
    Returns the number of DailyRollup rows written."""
    if end < start:
        raise ValueError("end before start")
    only = sorted(set(account_ids)) if account_ids is not None else None
    written = 0
    day = start
    while day <= end:
        lower, upper = day_bounds(day)
        events = UsageEvent.objects.filter(occurred_at__gte=lower, occurred_at__lt=upper).order_by()
        existing = DailyRollup.objects.filter(day=day).order_by()
        features = DailyFeatureRollup.objects.filter(day=day).order_by()
        if only is not None:
            events, existing, features = (
                events.filter(account_id__in=only),
                existing.filter(account_id__in=only),
                features.filter(account_id__in=only),
            )
        # Accounts with events that day, plus those with (possibly stale) rollups.
        accounts = sorted(
            set(events.values_list("account_id", flat=True).distinct())
            | set(existing.values_list("account_id", flat=True))
            | set(features.values_list("account_id", flat=True).distinct())
        )
        for chunk_start in range(0, len(accounts), ROLLUP_CHUNK):
            chunk = accounts[chunk_start : chunk_start + ROLLUP_CHUNK]
            written += rollups_recompute(pairs=[(account_id, day) for account_id in chunk])
        day += timedelta(days=1)
    return written
