"""The generation of the team page's cached figures (``workspace.team_page``).

Changes made from the capacity pages (rebalancing applied, preset or settings, ratios,
profiles) bump it, so the next view of the team page recomputes.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

GENERATION_KEY = "capacity:team:generation"


def team_figures_generation() -> int:
    return int(cache.get(GENERATION_KEY, 0))


def team_figures_invalidate() -> None:
    """Make every cached team page recompute on its next view."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet (or evicted): any new value differs from the old
        cache.set(GENERATION_KEY, int(timezone.now().timestamp() * 1000), None)
