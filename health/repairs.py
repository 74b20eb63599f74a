"""Check-and-repair jobs of the health app (``manage.py repair rollups``), idempotent."""

from __future__ import annotations

from datetime import date

from .models import DailyRollup
from .services import rollups_rebuild


def rollups_repair(*, start: date, end: date) -> str:
    """Rebuild every daily rollup from ``start`` to ``end`` from the stored events.

    Rollups are a pure function of the events, so running it twice writes the same rows.
    """
    before = DailyRollup.objects.filter(day__gte=start, day__lte=end).count()
    written = rollups_rebuild(start=start, end=end)
    after = DailyRollup.objects.filter(day__gte=start, day__lte=end).count()
    return f"rollups {start}..{end}: {written} rebuilt ({before} before, {after} after)"
