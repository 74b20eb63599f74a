from __future__ import annotations

from typing import Any

from celery import shared_task

from .audit_retention import audit_purge
from .outbox import email_deliver, email_due_ids
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

    Each email is still claimed on its own, so a redelivered task (``acks_late``), an
    overlapping flush or a second scheduling sends nothing twice; what a dead worker
    left behind is picked up by the flush after the claim lease.
    """
    return sum(int(email_deliver(message_id=message_id)) for message_id in message_ids)


@shared_task(name="core.email_flush_task", ignore_result=True)
def email_flush_task() -> int:
    """Retry due messages and rescue those claimed by a worker that died."""
    sent = 0
    for message_id in email_due_ids():
        sent += int(email_deliver(message_id=message_id))
    return sent


@shared_task(name="core.audit_purge_task", ignore_result=True)
def audit_purge_task() -> dict[str, int]:
    """History and login-audit rows past ``HOURGLASS_AUDIT_RETENTION_DAYS`` (idempotent, batched)."""
    return audit_purge()
