"""A real Celery worker records the run of a task sent the way beat sends it."""

from __future__ import annotations

import pytest

from core.models import JobRun
from core.tasks import heartbeat_prune_task
from tests.integration.workers import running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_records_scheduled_runs_only() -> None:
    from config.celery_app import app

    options = app.conf.beat_schedule["core-heartbeat-prune"]["options"]  # what beat passes to apply_async
    with running_worker() as worker:
        heartbeat_prune_task.apply_async(queue=worker.queue)  # by hand: not a run of the schedule
        heartbeat_prune_task.apply_async(queue=worker.queue, headers=options["headers"])
        assert wait_for(
            lambda: JobRun.objects.filter(schedule="core-heartbeat-prune", last_outcome="success").exists()
        ), worker.logs()
        assert wait_for(lambda: worker.task_count("core.heartbeat_prune_task") == 2), worker.logs()
    run = JobRun.objects.get(schedule="core-heartbeat-prune")
    assert run.runs == 1 and run.last_duration is not None and run.last_success_at is not None
    assert run.task_name == "core.heartbeat_prune_task"
