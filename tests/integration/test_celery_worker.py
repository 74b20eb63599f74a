"""A real Celery worker, on the configured broker (Redis in CI), against the test DB."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from core.models import WorkerHeartbeat
from core.tasks import heartbeat_task
from tests.integration.workers import running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_runs_heartbeat_task_exactly_once_per_host():
    with running_worker() as worker:
        before = timezone.now()
        heartbeat_task.apply_async(queue=worker.queue)
        heartbeat_task.apply_async(queue=worker.queue)
        assert wait_for(lambda: WorkerHeartbeat.objects.filter(last_seen__gte=before).exists()), worker.logs()
        # Two runs on one host update one row: re-runs never duplicate.
        time.sleep(1)
        assert WorkerHeartbeat.objects.filter(hostname=worker.hostname).count() == 1
        assert WorkerHeartbeat.objects.count() == 1
