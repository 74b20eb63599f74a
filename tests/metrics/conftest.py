from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from celery import shared_task
from django.utils import timezone

from core.models import JobRun
from core.monitoring.jobs import SCHEDULE_HEADER


@shared_task(name="tests.metrics.boom_task")
def boom_task() -> None:
    raise RuntimeError("boom")


def run_scheduled(task: Any, schedule: str, **kwargs: Any) -> Any:
    """Run ``task`` in this process as beat would send it (with the schedule header)."""
    return task.apply(kwargs=kwargs, headers={SCHEDULE_HEADER: schedule}, throw=False)


def succeeded(schedule: str, *, at: datetime, task_name: str = "") -> JobRun:
    run, _ = JobRun.objects.update_or_create(
        schedule=schedule,
        defaults={
            "task_name": task_name,
            "first_seen_at": at - timedelta(days=30),
            "last_started_at": at,
            "last_finished_at": at,
            "last_success_at": at,
            "last_outcome": "success",
            "last_duration": 1.5,
        },
    )
    return run


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A clock the test moves: ``frozen.now`` is what ``timezone.now()`` answers."""

    class Clock:
        now = timezone.now().replace(microsecond=0)

        def move(self, **delta: float) -> datetime:
            self.now = self.now + timedelta(**delta)
            return self.now

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock
