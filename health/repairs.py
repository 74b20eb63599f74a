"""Check-and-repair jobs of the health app (``manage.py repair rollups``), idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from .models import DailyRollup
from .services import rollups_rebuild


def events_kept_from() -> date | None:
    """The first local day whose raw events are all still stored, or ``None`` when events
    are kept for ever (``HOURGLASS_EVENT_RETENTION_DAYS`` = 0). Earlier days were pruned
    by the retention job: only their rollups remain."""
    days = int(getattr(settings, "HOURGLASS_EVENT_RETENTION_DAYS", 0) or 0)
    if days <= 0:
        return None
    return timezone.localdate(timezone.now() - timedelta(days=days)) + timedelta(days=1)


def rollups_repair(*, start: date, end: date) -> str:
    """Rebuild every daily rollup from ``start`` to ``end`` from the stored events.

    Rollups are a pure function of the events, so running it twice writes the same rows.
    Days whose events the retention job has pruned are left alone: rebuilding them from
    what is left would wipe the rollups, the only record of those days.
    """
    kept_from = events_kept_from()
    note = ""
    if kept_from is not None and start < kept_from:
        note = f"; days before {kept_from} kept as they are (their events are past retention)"
        start = kept_from
    if end < start:
        return f"rollups: nothing to rebuild{note}"
    before = DailyRollup.objects.filter(day__gte=start, day__lte=end).count()
    written = rollups_rebuild(start=start, end=end)
    after = DailyRollup.objects.filter(day__gte=start, day__lte=end).count()
    return f"rollups {start}..{end}: {written} rebuilt ({before} before, {after} after){note}"
