from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from .models import TaskFailure, WorkerHeartbeat


def heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    heartbeat, _created = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now()}
    )
    return heartbeat


def heartbeat_prune(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget workers gone for a week (hosts come and go when scaling out)."""
    deleted, _by_model = WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - older_than).delete()
    return deleted


def task_failure_record(
    *,
    task_name: str,
    task_id: str,
    args: Any,
    kwargs: Any,
    exception: str,
    traceback: str,
    request_id: str = "",
) -> TaskFailure:
    """Keep a failed Celery task for the admin (Core › Task failures)."""
    return TaskFailure.objects.create(
        task_name=task_name[:255],
        task_id=task_id[:255],
        args=args,
        kwargs=kwargs,
        exception=exception,
        traceback=traceback,
        request_id=request_id[:128],
    )
