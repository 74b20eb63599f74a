"""Writes of the health app: usage-event ingest and the daily rollups built from it."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.access import AnyUser
from core.clock import local_date, local_day_bounds, local_zone
from core.locks import advisory_xact_lock
from core.monitoring.metrics import ingest_observe

from .defaults import DEFAULT_MEASURES, DEFAULT_MODEL_NAME
from .models import DailyFeatureRollup, DailyRollup, HealthMeasure, HealthModel, UsageEvent
from .partitions import event_partitions_detach, event_partitions_ensure
from .signals import rollups_written
from .storage import events_store
from .validation import EventError, ValidEvent, events_check

logger = logging.getLogger(__name__)

__all__ = [
    "IngestResult",
    "IngestValidationError",
    "event_partitions_detach",
    "event_partitions_ensure",
    "events_ingest",
    "health_model_default_ensure",
    "rollups_rebuild",
    "rollups_recompute",
]

# (account id, local day) pairs per rollup task: big enough to amortise a task, small
# enough that one task's aggregation stays quick.
ROLLUP_CHUNK = 500
# Arbitrary fixed namespace of the per-account advisory locks of rollup computation.
_ROLLUP_LOCK = 0x524F4C4C  # "ROLL"

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


# --- Ingest ---------------------------------------------------------------------------


@transaction.atomic
def events_ingest(*, actor: AnyUser, events: Sequence[Any]) -> IngestResult:
    """Validate every event, then store all of them or none.

    Events whose idempotency key is already stored, or repeated within the batch, are
    counted as duplicates and not stored again (the first one wins). The rollups of
    the touched account-days are refreshed by a Celery task after commit.
    """
    started = time.perf_counter()
    checked = events_check(actor=actor, events=events)  # stored events are left out
    valid, errors, already = checked.valid, checked.errors, checked.already_stored
    if errors:
        rejected = len({error["index"] for error in errors})
        ingest_observe(rejected=rejected, seconds=time.perf_counter() - started)
        raise IngestValidationError(errors)
    unique: dict[tuple[int, str, datetime], ValidEvent] = {}
    for event in valid:
        unique.setdefault(event.key, event)
    batch = list(unique.values())
    stored = events_store(events=batch, received_at=timezone.now())
    duplicates = already + len(valid) - stored
    ingest_observe(stored=stored, duplicates=duplicates, seconds=time.perf_counter() - started)
    if stored:
        pairs = sorted({(event.account_id, local_date(event.occurred_at)) for event in batch})
        # robust: the events are committed whatever happens to the broker; a failed
        # enqueue is logged and `rebuild_rollups` catches up, the client gets its 201.
        transaction.on_commit(lambda: _enqueue_rollups(pairs), robust=True)
    return IngestResult(stored=stored, duplicates=duplicates)


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
            start, end = local_day_bounds(day)
            condition |= Q(account_id__in=account_ids, occurred_at__gte=start, occurred_at__lt=end)
        else:
            condition |= Q(account_id__in=account_ids, **{day_field: day})
    return condition


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
    # One run per account at a time (PostgreSQL), so a run that read older data can
    # never overwrite the result of a later one; released at commit.
    advisory_xact_lock(_ROLLUP_LOCK, *(account_id for ids in days.values() for account_id in ids))
    run_at = timezone.now()
    zone = local_zone()
    events = UsageEvent.objects.filter(_pairs_q(days, day_field=None)).order_by()
    per_day = events.values("account_id", local=TruncDate("occurred_at", tzinfo=zone)).annotate(
        n_events=Count("pk"),
        n_users=Count("customer_user_id", distinct=True, filter=~Q(customer_user_id="")),
        total=Sum("quantity"),
        first=Min("occurred_at"),
        last=Max("occurred_at"),
    )
    rollups = [
        DailyRollup(
            account_id=row["account_id"],
            day=row["local"],
            events=row["n_events"],
            active_users=row["n_users"],
            quantity=row["total"] or 0,
            first_event_at=row["first"],
            last_event_at=row["last"],
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
        update_fields=["events", "active_users", "quantity", "first_event_at", "last_event_at", "computed_at"],
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
    touched = sorted({account_id for ids in days.values() for account_id in ids})
    transaction.on_commit(lambda: rollups_written.send(sender=DailyRollup, account_ids=touched))
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
        lower, upper = local_day_bounds(day)
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


# --- Health models ---------------------------------------------------------------------


def health_model_default_ensure() -> HealthModel:
    """The default model (segment ""), created with the default measures if missing."""
    model, created = HealthModel.objects.get_or_create(segment="", defaults={"name": DEFAULT_MODEL_NAME})
    if created:
        HealthMeasure.objects.bulk_create(
            [
                HealthMeasure(model=model, key=key, group=group, weight=weight, green_at=green, red_at=red, direction=d)
                for key, group, weight, green, red, d in DEFAULT_MEASURES
            ]
        )
    return model
