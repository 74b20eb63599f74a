"""Celery tasks of the webhook/chat outbox: thin, idempotent (every row is claimed)."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone

from .delivery import deliver_due
from .models import Delivery

# Retries due within this many seconds get a timed wake-up; later ones wait for the sweep.
WAKE_WITHIN = 300


def _wake_for_retries() -> None:
    soonest = Delivery.objects.filter(status=Delivery.Status.QUEUED, endpoint__active=True).aggregate(
        at=Min("next_attempt_at")
    )["at"]
    if soonest is None:
        return
    delay = max((soonest - timezone.now()).total_seconds(), 0.0)
    # One wake-up per second of due time, however many tasks saw the same retry.
    if delay <= WAKE_WITHIN and cache.add(f"webhooks:wake:{int(soonest.timestamp())}", 1, timeout=int(delay) + 60):
        deliver_due_task.apply_async(countdown=delay + 0.05)


@shared_task(name="webhooks.deliver_due_task", ignore_result=True, acks_late=True)
def deliver_due_task() -> int:
    """Send what is due (queued after commit, woken for retries, and by the beat sweep)."""
    delivered, more = deliver_due()
    if more:
        deliver_due_task.delay()
    else:
        _wake_for_retries()
    return delivered
