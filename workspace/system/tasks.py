from __future__ import annotations

from celery import shared_task

from .alerts import monitoring_scan
from .retention import data_retention_run


@shared_task(name="workspace.monitoring_scan_task", ignore_result=True)
def monitoring_scan_task() -> int:
    """Late jobs and an old outbox backlog notify the admins, once per incident."""
    return len(monitoring_scan().opened)


@shared_task(name="workspace.data_retention_task", ignore_result=True, acks_late=True)
def data_retention_task() -> dict[str, int]:
    # Idempotent and batched: a redelivered run deletes what the first one did not reach.
    return data_retention_run()
