"""Celery tasks of the health app: thin, ids in, one service call each."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings

from .alerts import BASELINE_WINDOWS, WINDOW_DAYS, activity_drop_scan, default_scan_day
from .scoring import health_recalculation_progress, health_scores_compute, health_scores_dispatch
from .services import event_partitions_ensure, rollups_recompute


@shared_task(name="health.rollup_accounts_days_task", acks_late=True, ignore_result=True)
def rollup_accounts_days_task(*, pairs: list[list[int | str]]) -> int:
    """Recompute the rollups of ``[[account_id, "YYYY-MM-DD"], ...]``, then scan those
    accounts for an activity drop if the days touched can change the latest scan.

    Recomputation reads the events afresh, so a retry or a late duplicate message
    only repeats the same result (hence acks_late); the scan is idempotent too.
    """
    parsed = [(int(account_id), date.fromisoformat(str(day))) for account_id, day in pairs]
    written = rollups_recompute(pairs=parsed)
    oldest_relevant = default_scan_day() - timedelta(days=WINDOW_DAYS * (BASELINE_WINDOWS + 1))
    relevant = sorted({account_id for account_id, day in parsed if day >= oldest_relevant})
    if relevant:
        activity_drop_scan_task.delay(account_ids=relevant)
    return written


@shared_task(name="health.ensure_event_partitions_task", acks_late=True, ignore_result=True)
def ensure_event_partitions_task() -> list[str]:
    """Daily (beat): keep monthly event partitions ready ahead of time (PostgreSQL only)."""
    return event_partitions_ensure(months_ahead=settings.HOURGLASS_EVENT_PARTITIONS_AHEAD)


@shared_task(name="health.activity_drop_scan_task", acks_late=True, ignore_result=True)
def activity_drop_scan_task(*, day: str | None = None, account_ids: list[int] | None = None) -> int:
    """Daily (beat) for all accounts, and after each rollup run for its accounts.

    Re-running it raises nothing new (cooldown + unique episode), hence acks_late.
    """
    result = activity_drop_scan(day=date.fromisoformat(day) if day else None, account_ids=account_ids)
    return len(result.raised)


@shared_task(name="health.score_recompute_task", acks_late=True, ignore_result=True)
def score_recompute_task(*, account_ids: list[int], day: str | None = None, run_id: int | None = None) -> int:
    """Score one chunk of accounts (an upsert of the day's rows: safe to repeat); with
    ``run_id``, count the chunk towards that "recalculate now" run's progress."""
    written = health_scores_compute(account_ids=account_ids, day=date.fromisoformat(day) if day else None)
    if run_id is not None:
        health_recalculation_progress(run_id=run_id, scored=len(account_ids))
    return written


@shared_task(name="health.score_recent_accounts_task", acks_late=True, ignore_result=True)
def score_recent_accounts_task() -> int:
    """Beat, every 15 minutes: rescore accounts with new usage, NPS or touchpoints."""
    return health_scores_dispatch(everything=False)


@shared_task(name="health.score_all_accounts_task", acks_late=True, ignore_result=True)
def score_all_accounts_task() -> int:
    """Beat, nightly: rescore every account (time passing alone moves contact recency)."""
    return health_scores_dispatch(everything=True)
