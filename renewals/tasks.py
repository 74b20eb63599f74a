from __future__ import annotations

from datetime import date

from celery import shared_task

from .reminders import reminder_sweep_dispatch, reminders_claim_owed


@shared_task(name="renewals.reminder_sweep_task", ignore_result=True, acks_late=True)
def reminder_sweep_task() -> int:
    """Daily (beat, 08:00 local): find the reminders owed and send a task per batch.

    Safe to run twice or concurrently: claims are unique rows."""
    return reminder_sweep_dispatch().tasks


@shared_task(name="renewals.reminder_batch_task", ignore_result=True, acks_late=True)
def reminder_batch_task(*, renewal_ids: list[int], today: str, audience: str) -> int:
    """Claim and queue what these renewals are owed (one transaction); a re-run claims nothing."""
    return reminders_claim_owed(renewal_ids, today=date.fromisoformat(today), audience=audience)
