from __future__ import annotations

from celery import shared_task

from .reminders import reminder_sweep


@shared_task(name="renewals.reminder_sweep_task", ignore_result=True, acks_late=True)
def reminder_sweep_task() -> int:
    """Daily (beat, 08:00 local). Safe to run twice or concurrently: claims are unique rows."""
    return reminder_sweep().claimed
