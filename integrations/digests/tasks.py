"""Digest tasks: beat runs the sweep every 15 minutes; it fans out one task per batch."""

from __future__ import annotations

from datetime import date, datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .sending import DueDigest, digest_batches, digests_claim_and_queue, digests_due


@shared_task(name="digests.digest_sweep_task", acks_late=True)
def digest_sweep_task() -> int:
    """Enqueue the digests due now, in batches; returns how many were due."""
    now = timezone.now()
    due = digests_due(now=now)
    for batch in digest_batches(due, settings.HOURGLASS_DIGEST_BATCH):
        digest_batch_task.delay(
            digests=[[d.user_id, d.kind, d.local_date.isoformat()] for d in batch], now=now.isoformat()
        )
    return len(due)


@shared_task(name="digests.digest_batch_task", acks_late=True)
def digest_batch_task(*, digests: list[list], now: str) -> dict[str, int]:
    """Claim and queue a batch; a redelivered batch claims nothing twice."""
    due = [DueDigest(int(user_id), str(kind), date.fromisoformat(day)) for user_id, kind, day in digests]
    return digests_claim_and_queue(due=due, now=datetime.fromisoformat(now))
