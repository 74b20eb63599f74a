"""Check-and-repair jobs of the playbooks app (``manage.py repair stages``), idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from .services import tasks_follow_owner, tasks_wake_snoozed
from .stages import stage_refresh


def stage_sweep_repair(*, start: date, end: date) -> str:
    """Re-run the daily stage/playbook sweep for each day from ``start`` to ``end``.

    The sweep decides against the stored stage, timeline entries carry a dedupe key and
    playbook tasks a unique constraint: a second run changes nothing.
    """
    changed = checked = 0
    day = start
    while day <= end:
        tasks_wake_snoozed(today=day)
        tasks_follow_owner()
        result = stage_refresh(today=day)
        changed += result.changed
        checked += result.checked
        day += timedelta(days=1)
    return f"stages {start}..{end}: {checked} checked, {changed} changed"
