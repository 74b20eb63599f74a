"""Helpers of the freshness tests: rollups with first/last event times, a frozen "now"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from health.models import DailyRollup

ZONE = ZoneInfo("Asia/Shanghai")
# The daily silence scan's moment (00:25 local) on a Wednesday.
NOW = datetime(2026, 3, 18, 0, 25, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(_private_cache: None) -> Iterator[None]:
    # Throttle counters live in the cache; one test's requests must not spend another's.
    cache.clear()
    yield
    cache.clear()


def business_hours(day: date) -> tuple[int, int, int] | None:
    """Every day 09:00-21:00, 10 events (an account used daily)."""
    return (10, 9, 21)


def weekdays_only(day: date) -> tuple[int, int, int] | None:
    return (10, 9, 18) if day.weekday() < 5 else None


def usage(
    account: Any,
    pattern: Callable[[date], tuple[int, int, int] | None],
    *,
    start: date,
    end: date,
    last_day_until: int | None = None,
) -> None:
    """Rollups of ``account`` from ``start`` to ``end``: ``pattern(day)`` gives the day's
    events and the hours of its first and last event (None: no usage that day);
    ``last_day_until`` cuts the last day's usage at that hour."""
    rows = []
    day = start
    while day <= end:
        shape = pattern(day)
        if shape:
            events, first, last = shape
            if day == end and last_day_until is not None:
                last = min(last, last_day_until)
            rows.append(
                DailyRollup(
                    account=account,
                    day=day,
                    events=events,
                    active_users=max(1, events // 4),
                    first_event_at=datetime.combine(day, time(first), tzinfo=ZONE),
                    last_event_at=datetime.combine(day, time(last), tzinfo=ZONE),
                )
            )
        day += timedelta(days=1)
    DailyRollup.objects.bulk_create(rows)
