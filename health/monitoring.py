"""The health app's figures for monitoring (Prometheus and the status page)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.clock import local_date, local_zone

from .models import ActivityAlert, DailyRollup, HealthScore, ScoreRequest, UsageEvent
from .partitions import PARTITION_NAME, event_partitions, month_start, partitioning_supported

# Rollup lag looks at events that occurred this recently: a back-fill of old history is
# rolled up too, but must not read as "the rollups are behind" for ever.
ROLLUP_LAG_WINDOW = timedelta(days=3)


def rollup_waiting_since(*, now: datetime | None = None) -> datetime | None:
    """When the oldest event still waiting for its account-day's rollup was received:
    its day has no rollup, or one computed before the event arrived. None if none waits."""
    now = now or timezone.now()
    fresh = DailyRollup.objects.filter(
        account_id=OuterRef("account_id"), day=OuterRef("local_day"), computed_at__gte=OuterRef("received_at")
    )
    waiting = (
        UsageEvent.objects.filter(occurred_at__gte=now - ROLLUP_LAG_WINDOW)
        .annotate(local_day=TruncDate("occurred_at", tzinfo=local_zone()))
        .filter(~Exists(fresh))
        .order_by()
    )
    return waiting.aggregate(oldest=Min("received_at"))["oldest"]


def rescore_waiting_since() -> datetime | None:
    """When the oldest rescore request still waiting was made (health.rescore): the
    event -> score lag is ``now`` minus this plus the rollup lag. None if none waits."""
    return ScoreRequest.objects.aggregate(oldest=Min("requested_at"))["oldest"]


def scores_computed_since(moment: datetime) -> int:
    # ``day`` is indexed: bound by it first, then by the computation time.
    first_day = local_date(moment) - timedelta(days=1)
    return HealthScore.objects.filter(day__gte=first_day, computed_at__gte=moment).count()


def alerts_by_status() -> dict[str, int]:
    rows = ActivityAlert.objects.order_by().values("status").annotate(n=Count("pk"))
    return {str(row["status"]): int(row["n"]) for row in rows}


def alerts_raised_since(moment: datetime) -> int:
    return ActivityAlert.objects.filter(Q(created_at__gte=moment)).count()


def event_partitions_ahead(*, today: datetime | None = None) -> int | None:
    """How many months after this one already have an event partition (PostgreSQL);
    None where the table is not partitioned (SQLite)."""
    if not partitioning_supported():
        return None
    this_month = month_start((today or timezone.now()).date())
    months = set()
    for name in event_partitions():
        match = PARTITION_NAME.match(name)
        if match:
            months.add((int(match["year"]) - this_month.year) * 12 + int(match["month"]) - this_month.month)
    ahead = 0
    while ahead + 1 in months:
        ahead += 1
    return ahead
