"""A Celery task that fails on a real worker is kept for the admin, with its request id."""

from __future__ import annotations

import time

import pytest

from core.models import TaskFailure
from core.observability import request_id_var
from health.tasks import rollup_accounts_days_task
from tests.integration.workers import running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_failing_task_is_recorded_once_with_args_exception_traceback_and_request_id():
    with running_worker() as worker:
        token = request_id_var.set("req-failing-task")
        try:
            # A real task, given an account id that is not a number: it raises ValueError.
            rollup_accounts_days_task.apply_async(kwargs={"pairs": [["not-an-id", "2025-06-10"]]}, queue=worker.queue)
        finally:
            request_id_var.reset(token)
        assert wait_for(TaskFailure.objects.exists), worker.logs()
        time.sleep(1)
        assert "req-failing-task" in worker.logs()
    failure = TaskFailure.objects.get()
    assert failure.task_name == "health.rollup_accounts_days_task"
    assert failure.kwargs == {"pairs": [["not-an-id", "2025-06-10"]]}
    assert failure.exception.startswith("ValueError")
    assert "Traceback" in failure.traceback
    assert failure.request_id == "req-failing-task"
