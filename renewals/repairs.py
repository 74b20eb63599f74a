"""Check-and-repair jobs of the renewals app (``manage.py repair reminders``), idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from .reminders import reminder_sweep


def reminder_sweep_repair(*, start: date, end: date) -> str:
    """Re-run the renewal reminder sweep for each day from ``start`` to ``end``.

    Each reminder is claimed once by its unique (renewal, threshold, audience) row and
    each email has a dedupe key, so a re-run queues nothing twice.
    """
    due = claimed = 0
    day = start
    while day <= end:
        result = reminder_sweep(today=day)
        due += result.due + result.customer_due
        claimed += result.claimed + result.customer_claimed
        day += timedelta(days=1)
    return f"reminders {start}..{end}: {due} due, {claimed} newly queued"
