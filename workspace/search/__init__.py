"""Global search: one selector over accounts, stakeholders, dossiers, timeline subjects,
tasks and best-practice cases, scoped by what the user may see.

``search_for_user(user, q, limit_per_type)`` is the whole interface: the top bar's
quick-jump dialog, the results page and ``GET /api/v1/search/`` all call it. Matching
rules and the two databases' indexes are described in ``engine.py``; the number of
queries does not grow with the hits: one for the user's scope (none for an admin), then
two per type (three when a term has many matches), and on PostgreSQL at most three
setting the planner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.types import AnyUser

from .engine import planner_settings, ranked_rows
from .sources import KINDS, SOURCES, SearchHit, scope_of

__all__ = [
    "KINDS",
    "MAX_QUERY_LENGTH",
    "MIN_TERM_LENGTH",
    "SearchGroup",
    "SearchHit",
    "SearchQueryError",
    "SearchResults",
    "clean_query",
    "search_for_user",
]

MAX_QUERY_LENGTH = 100
MIN_TERM_LENGTH = 2
MAX_TERMS = 5
MAX_LIMIT_PER_TYPE = 50


class SearchQueryError(ValueError):
    """A query that cannot be searched; the message tells the user what to type instead."""


@dataclass(frozen=True)
class SearchGroup:
    kind: str
    label: str
    hits: list[SearchHit]


@dataclass(frozen=True)
class SearchResults:
    query: str
    groups: list[SearchGroup] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(group.hits) for group in self.groups)


def clean_query(raw: Any) -> list[str]:
    """The query's search terms, or ``SearchQueryError`` saying why there are none.

    Whitespace is collapsed; terms shorter than 2 characters are left out when longer
    ones remain (``Acme a`` searches ``Acme``); at most five terms count.
    """
    text = " ".join(str(raw or "").split())
    if not text:
        raise SearchQueryError(_("Type a name, an email, an id or a few words to search."))
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(
            ngettext(
                "A search is at most %(limit)d character long.",
                "A search is at most %(limit)d characters long.",
                MAX_QUERY_LENGTH,
            )
            % {"limit": MAX_QUERY_LENGTH}
        )
    terms = [term for term in text.split(" ") if len(term) >= MIN_TERM_LENGTH]
    if not terms:
        raise SearchQueryError(_("Type at least 2 characters to search."))
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def search_for_user(user: AnyUser, q: Any, limit_per_type: int = 5, kinds: tuple[str, ...] = KINDS) -> SearchResults:
    """Hits of every type the user may see, best first, grouped by type (empty groups left out).

    Raises ``SearchQueryError`` for an empty, too short or too long query.
    """
    terms = clean_query(q)
    limit = max(1, min(int(limit_per_type), MAX_LIMIT_PER_TYPE))
    query = " ".join(terms)
    sources = tuple(source for source in SOURCES if source.kind in kinds)
    if not getattr(user, "is_authenticated", False) or not sources:
        return SearchResults(query=query)
    with planner_settings() as planner:
        rows = ranked_rows(sources, scope_of(user), terms, limit, planner)
    groups = [
        SearchGroup(source.kind, str(source.label), [source.to_hit(row, query) for row in rows[source.kind]])
        for source in sources
        if rows[source.kind]
    ]
    return SearchResults(query=query, groups=groups)
