"""The team page's figures, computed once and kept for a few minutes.

The page aggregates every visible account several ways (book, segments, industries,
health colours, renewals due, dossier quality, renewal rates over four quarters,
activation and active rates, NPS, expansion, process quality, hiring triggers): about
forty set-based queries, a second or more for an admin over 50,000 accounts. Managers
open it many times a day and the figures move slowly, so — like the scorecards of
Gainsight or ChurnZero — it shows figures "as of" a time and keeps them for
``HOURGLASS_TEAM_FIGURES_CACHE_SECONDS`` (default 300; 0 turns the cache off).

- Cached per viewer (their scope), day and language; never shared between people.
- "Refresh" (``?refresh=1``) recomputes at once.
- Changes made from the capacity pages (rebalancing applied, preset or settings,
  ratios, profiles) bump a generation number, so the next view recomputes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from accounts.access import AnyUser

from .compensation import CompensationView, compensation_form_hint
from .selectors import TeamBooks, book_of_business, hiring_recommendations
from .team_columns import TeamColumn, team_columns

GENERATION_KEY = "capacity:team:generation"
# Part of every key: bump it when ``TeamFigures`` (or what it holds) changes shape, so a
# deploy never reads figures pickled by the previous version.
FIGURES_VERSION = 2


@dataclass
class TeamFigures:
    books: TeamBooks
    columns: list[TeamColumn]
    recommendations: list[Any]
    # The compensation hint from the company's own figures (managers; None for a CSM).
    compensation: CompensationView | None
    computed_at: datetime
    cached: bool = False


def cache_seconds() -> int:
    return int(getattr(settings, "HOURGLASS_TEAM_FIGURES_CACHE_SECONDS", 300))


def team_figures_invalidate() -> None:
    """Make every cached team page recompute on its next view."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet (or evicted): any new value differs from the old
        cache.set(GENERATION_KEY, int(timezone.now().timestamp() * 1000), None)


def _key(user: AnyUser, today: date, manager: bool) -> str:
    generation = cache.get(GENERATION_KEY, 0)
    viewer = f"{user.pk}:{int(manager)}:{today.isoformat()}:{get_language()}"
    return f"capacity:team:v{FIGURES_VERSION}:{generation}:{viewer}"


def team_figures(*, user: AnyUser, manager: bool, today: date | None = None, refresh: bool = False) -> TeamFigures:
    """Books, columns, hiring recommendations and compensation hint for ``user``'s team page."""
    today = today or timezone.localdate()
    seconds = cache_seconds()
    key = _key(user, today, manager)
    if seconds > 0 and not refresh:
        found = cache.get(key)
        if isinstance(found, TeamFigures):
            found.cached = True
            return found
    books = book_of_business(user=user, today=today)
    quality = {row.user.pk: row.quality for row in books.rows if row.quality}
    columns = team_columns(user=user, user_ids=[row.user.pk for row in books.rows], today=today, quality=quality)
    figures = TeamFigures(
        books=books,
        columns=columns,
        recommendations=hiring_recommendations(user=user, books=books) if manager else [],
        compensation=compensation_form_hint(user=user, data={}, csms=len(books.rows), today=today) if manager else None,
        computed_at=timezone.now(),
    )
    if seconds > 0:
        cache.set(key, figures, seconds)
    return figures
