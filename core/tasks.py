from __future__ import annotations

from typing import Any

from celery import shared_task

from .audit_retention import audit_purge
from .outbox import email_deliver, email_deliver_many, email_due_ids
from .services import heartbeat_prune, heartbeat_record


@shared_task(name="core.heartbeat_task", bind=True, ignore_result=True)
def heartbeat_task(self: Any) -> None:
    heartbeat_record(hostname=self.request.hostname or "unknown")


@shared_task(name="core.heartbeat_prune_task", ignore_result=True)
def heartbeat_prune_task() -> int:
    return heartbeat_prune()


@shared_task(name="core.email_deliver_task", ignore_result=True, acks_late=True)
def email_deliver_task(*, message_id: int) -> None:
    # The claim inside makes a duplicate delivery of this task harmless.
    email_deliver(message_id=message_id)


@shared_task(name="core.email_deliver_many_task", ignore_result=True, acks_late=True)
def email_deliver_many_task(*, message_ids: list[int]) -> int:
    """Deliver a batch enqueued together (``emails_enqueue``): one message on the broker.

    The emails are claimed a few at a time under a lease the task keeps extending, so a
    redelivered task (late acks, rejected when its worker was lost), an overlapping flush
    or a second scheduling sends nothing twice; what a dead worker held is re-claimed by
    the flush once its lease ran out (``HOURGLASS_OUTBOX_LEASE_SECONDS``).
    """
    return email_deliver_many(message_ids)


@shared_task(name="core.email_flush_task", ignore_result=True, acks_late=True)
def email_flush_task() -> int:
    """Retry due messages and rescue those claimed by a worker that died (beat, every
    ``HOURGLASS_OUTBOX_FLUSH_SECONDS``); two flushes at once share the work."""
    return email_deliver_many(email_due_ids())


@shared_task(name="core.audit_purge_task", ignore_result=True)
def audit_purge_task() -> dict[str, int]:
    """History and login-audit rows past ``HOURGLASS_AUDIT_RETENTION_DAYS`` (idempotent, batched)."""
    return audit_purge()
