"""The deployment's calendar: which local day a moment falls on, and when a day starts.

Days that the product counts in (rollups, scores, stages, reminders) are calendar days
of the deployment (``settings.TIME_ZONE``), whatever zone a request may activate.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: datetime | None = None) -> date:
    """The deployment's calendar day of ``moment`` (default: now)."""
    return (moment or timezone.now()).astimezone(local_zone()).date()


def local_day_start(day: date) -> datetime:
    """The instant ``day`` begins in the deployment's zone (its local midnight)."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``day``: its local midnight and the next one."""
    return local_day_start(day), local_day_start(day + timedelta(days=1))
