"""Contract period arithmetic: the next period after a renewal keeps the same term."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's end (Jan 31 + 1 → Feb 28)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def next_period(start: date, end: date) -> tuple[date, date]:
    """The period after ``start``-``end`` (inclusive), starting the day after it ends.

    A term of whole months (1 Jan-31 Dec, 15 Mar-14 Sep) repeats as whole months, so a
    yearly contract stays on its anniversary across leap years; any other term
    repeats its length in days.
    """
    next_start = end + timedelta(days=1)
    months = (next_start.year - start.year) * 12 + (next_start.month - start.month)
    if months > 0 and add_months(start, months) == next_start:
        return next_start, add_months(next_start, months) - timedelta(days=1)
    return next_start, next_start + (end - start)
