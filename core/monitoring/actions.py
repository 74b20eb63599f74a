"""Admin actions of the status page on core's rows: retry a failed email or task."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from ..models import OutboundEmail, TaskFailure

logger = logging.getLogger(__name__)


def email_retry(*, message_id: int) -> bool:
    """Put a failed email back in the queue with fresh attempts; False if it is not failed."""
    from ..tasks import email_deliver_task

    requeued = OutboundEmail.objects.filter(pk=message_id, status=OutboundEmail.Status.FAILED).update(
        status=OutboundEmail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
    if requeued:
        # robust: with the broker down the message stays queued for the minute flush.
        transaction.on_commit(lambda: email_deliver_task.delay(message_id=message_id), robust=True)
    return bool(requeued)


def task_failure_retry(*, failure_id: int) -> bool:
    """Send a failed task again with its arguments and forget the failure (a new failure
    is recorded again). Tasks are idempotent, so a retry of one that since succeeded is
    harmless. False when the failure is gone (someone retried it already). When the
    broker refuses the message the error propagates and the failure is kept."""
    from config.celery_app import app as celery_app

    with transaction.atomic():
        failure = TaskFailure.objects.select_for_update().filter(pk=failure_id).first()
        if failure is None:
            return False
        celery_app.send_task(failure.task_name, args=list(failure.args or []), kwargs=dict(failure.kwargs or {}))
        failure.delete()
    logger.info("retried failed task %s (failure %s)", failure.task_name, failure_id)
    return True
