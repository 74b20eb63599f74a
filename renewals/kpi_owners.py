"""The owners' names and teams the KPI page's reports label their rows with, looked up
once per page: the renewal-based, adoption and ledger reports group by owner ids and
all name them from the same people (``kpi_owner_cache`` around the page's reports).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

FIELDS = ("username", "first_name", "last_name", "cs_profile__team", "cs_profile__team__name")
_cache: ContextVar[dict[int, dict[str, Any] | None] | None] = ContextVar("kpi_owner_cache", default=None)


@contextmanager
def kpi_owner_cache() -> Iterator[None]:
    """Within it, owner look-ups share one query: the first fetches every person with a
    CS profile (a few hundred at most) besides the ids asked for."""
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def owner_rows(ids: Iterable[Any]) -> dict[int, dict[str, Any]]:
    """``{pk: {field: value}}`` (``FIELDS``) of the users with these ids that exist."""
    wanted = {pk for pk in ids if pk is not None}
    cache = _cache.get()
    if not wanted:
        return {}
    missing = wanted if cache is None else wanted - set(cache)
    if missing:
        condition = Q(pk__in=missing)
        if cache is not None and not cache:
            condition |= Q(cs_profile__isnull=False)
        found = {
            user["pk"]: {name: user[name] for name in FIELDS}
            for user in get_user_model().objects.filter(condition).values("pk", *FIELDS)
        }
        if cache is None:
            return found
        cache.update(found)
        cache.update({pk: None for pk in missing if pk not in found})
    assert cache is not None
    return {pk: row for pk in wanted if (row := cache.get(pk)) is not None}
