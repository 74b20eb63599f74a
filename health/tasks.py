"""Celery tasks of the health app: thin, ids in, one service call each."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.conf import settings

from .services import event_partitions_ensure, rollups_recompute


@shared_task(name="health.rollup_accounts_days_task", acks_late=True, ignore_result=True)
def rollup_accounts_days_task(*, pairs: list[list[int | str]]) -> int:
    """Recompute the rollups of ``[[account_id, "YYYY-MM-DD"], ...]``.

    Recomputation reads the events afresh, so a retry or a late duplicate message
    only repeats the same result (hence acks_late).
    """
    return rollups_recompute(pairs=[(int(account_id), date.fromisoformat(str(day))) for account_id, day in pairs])


@shared_task(name="health.ensure_event_partitions_task", acks_late=True, ignore_result=True)
def ensure_event_partitions_task() -> list[str]:
    """Daily (beat): keep monthly event partitions ready ahead of time (PostgreSQL only)."""
    return event_partitions_ensure(months_ahead=settings.HOURGLASS_EVENT_PARTITIONS_AHEAD)
