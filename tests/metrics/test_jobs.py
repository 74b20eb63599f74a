"""Beat schedules: runs are recorded from the Celery signals, lateness by schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.schedules import crontab

from core.models import JobRun
from core.monitoring.jobs import job_runs_ensure, job_statuses, late_grace, schedule_period, schedules_mark
from core.tasks import heartbeat_prune_task
from tests.metrics.conftest import boom_task, run_scheduled, succeeded

pytestmark = pytest.mark.django_db


def test_schedule_periods() -> None:
    assert schedule_period(60.0) == timedelta(minutes=1)
    assert schedule_period(timedelta(hours=2)) == timedelta(hours=2)
    assert schedule_period(crontab(hour=23, minute=45)) == timedelta(days=1)
    assert schedule_period(crontab(hour="0,6", minute=0)) == timedelta(hours=18)
    assert schedule_period(crontab(hour=8, minute=0, day_of_week=1)) == timedelta(days=7)
    assert schedule_period(crontab(hour=8, minute=0, day_of_month=1)) == timedelta(days=31)


def test_grace_is_clamped(settings) -> None:
    settings.HOURGLASS_JOB_LATE_GRACE_MINUTES = 60
    assert late_grace(timedelta(minutes=1)) == timedelta(minutes=5)
    assert late_grace(timedelta(minutes=15)) == timedelta(minutes=15)
    assert late_grace(timedelta(days=1)) == timedelta(hours=1)


def test_every_beat_entry_carries_its_schedule_name() -> None:
    from config.celery_app import app

    for name, entry in app.conf.beat_schedule.items():
        assert entry["options"]["headers"]["hourglass_schedule"] == name
    entries = {"x": {"task": "t", "schedule": 60.0, "options": {"queue": "q"}}}
    schedules_mark(entries)
    assert entries["x"]["options"] == {"queue": "q", "headers": {"hourglass_schedule": "x"}}


def test_a_scheduled_success_is_recorded_with_duration_and_result() -> None:
    run_scheduled(heartbeat_prune_task, "core-heartbeat-prune")
    run = JobRun.objects.get(schedule="core-heartbeat-prune")
    assert run.last_outcome == "success"
    assert run.last_success_at is not None and run.last_duration is not None and run.last_duration >= 0
    assert run.runs == 1 and run.failures == 0
    assert run.task_name == "core.heartbeat_prune_task"
    assert run.last_result == {"result": 0}


def test_a_scheduled_failure_keeps_the_last_success() -> None:
    run_scheduled(heartbeat_prune_task, "core-heartbeat-prune")
    first_success = JobRun.objects.get(schedule="core-heartbeat-prune").last_success_at
    run_scheduled(boom_task, "core-heartbeat-prune")
    run = JobRun.objects.get(schedule="core-heartbeat-prune")
    assert run.last_outcome == "failure"
    assert "RuntimeError: boom" in run.last_error
    assert run.last_success_at == first_success
    assert (run.runs, run.failures) == (2, 1)


def test_a_call_without_the_schedule_header_does_not_count() -> None:
    heartbeat_prune_task.apply()
    assert not JobRun.objects.exists()


def test_never_run_jobs_count_from_first_sight(frozen) -> None:
    assert job_runs_ensure() > 0
    assert job_runs_ensure() == 0  # idempotent
    assert not any(status.late for status in job_statuses())
    frozen.move(hours=26)
    late = {status.schedule for status in job_statuses() if status.late}
    assert "health-scores-nightly" in late and "core-heartbeat" in late


def test_nightly_recompute_is_late_after_26_hours_not_after_23(frozen) -> None:
    succeeded("health-scores-nightly", at=frozen.now, task_name="health.score_all_accounts_task")
    frozen.move(hours=23)
    nightly = {status.schedule: status for status in job_statuses()}["health-scores-nightly"]
    assert not nightly.late
    frozen.move(hours=3)
    nightly = {status.schedule: status for status in job_statuses()}["health-scores-nightly"]
    assert nightly.late
    assert nightly.late_for == timedelta(hours=1)
