from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from config.celery_app import app as celery_app


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(_private_cache: None) -> Iterator[None]:
    # Throttle counters live in the cache; one test's requests must not spend another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in-process.

    The app reads settings under the CELERY namespace, so its config keys are the
    prefixed ones: setting ``conf.task_always_eager`` would be silently ignored.
    """
    conf = celery_app.conf
    previous = (conf.task_always_eager, conf.task_eager_propagates)
    conf.CELERY_TASK_ALWAYS_EAGER, conf.CELERY_TASK_EAGER_PROPAGATES = True, True
    assert celery_app.conf.task_always_eager
    try:
        yield
    finally:
        conf.CELERY_TASK_ALWAYS_EAGER, conf.CELERY_TASK_EAGER_PROPAGATES = previous


def make_event(account: Any, n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid event for ``account`` (by external id); ``n`` makes it a distinct one."""
    event: dict[str, Any] = {
        "account_external_id": account.external_id,
        "occurred_at": "2025-06-10T09:30:00+08:00",
        "event_name": "report.viewed",
        "user_id": f"u{n % 7}",
        "quantity": 1,
        "properties": {"n": n},
        "event_id": f"evt-{n}",
    }
    event.update(overrides)
    return event


def make_rollups(account: Any, daily: Any, *, start: Any, end: Any) -> None:
    """DailyRollup rows for ``account`` from ``start`` to ``end`` (inclusive);
    ``daily(day)`` gives the day's events (0: no row, like a day without events)."""
    from datetime import timedelta

    from health.models import DailyRollup

    rows = []
    day = start
    while day <= end:
        events = daily(day)
        if events:
            rows.append(DailyRollup(account=account, day=day, events=events, active_users=max(1, events // 4)))
        day += timedelta(days=1)
    DailyRollup.objects.bulk_create(rows)
