"""Matching and ranking, the same rules on both databases; only the index differs.

A term of 3 characters or more matches anywhere in a column (substring); a 2-character
term (a Chinese given name such as 张伟, an abbreviation) matches at the start of a
column or of a word in it. Every term must match (AND); within a source, a term may
match any of its columns.

PostgreSQL: ``UPPER(col) LIKE`` is what Django's ``icontains``/``istartswith`` emit,
and workspace migration 0001 gives every searched column a GIN trigram index on that
very expression, so both kinds of term are index scans (pg_trgm extracts the trigrams
of a LIKE pattern; ``'张伟%'`` still yields two padded ones). SQLite: for a search over
the whole database (an admin), the FTS5 indexes (``sqlite_index.py``: trigrams for the
long terms, word prefixes for the short ones) first narrow the rows; the lookups then
re-check those rows only. A CSM's or a team's scope is found through the account index
and matched directly: fewer rows than the index's matches over everyone's data.

Ranking: each source's first column equal to the query, then starting with it, then
shorter, then newest. It is computed over a bounded candidate set (the prefix matches
plus the first ``CANDIDATES`` matches) so that a word found in half a million
timeline titles costs no more than a rare one.

How PostgreSQL reaches the rows is chosen here, not left to estimates (pg_trgm guesses
a common pattern's matches hundreds of times too low): a scope named by its accounts (a
CSM's book, a team) walks those accounts' rows through the account index — index-only
for the timeline and stakeholders, whose covering indexes (workspace migration 0002)
hold the matched columns — with bitmap scans, and so the trigram index, switched off;
the whole database (an admin) or a larger scope goes through the trigram index. The
prefix matches come from a btree index on the first column's upper case (0002), also
with bitmap scans off, so that a range scan stops after a few rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from .sources import Scope, Source
from .sqlite_index import BY_KIND, fts_query, fts_ready, words_query

SUBSTRING_MIN = 3
CANDIDATES = 200
PREFIX_CANDIDATES = 50


class Planner:
    """PostgreSQL: the planner settings of the search's transaction, changed only when a
    query needs other ones (one statement each time); other databases: nothing."""

    def __init__(self) -> None:
        self.postgresql = connection.vendor == "postgresql"
        self.bitmaps = True

    def allow_bitmaps(self, allowed: bool) -> None:
        if not self.postgresql or allowed == self.bitmaps:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('enable_bitmapscan', %s, true)", ["on" if allowed else "off"])
        self.bitmaps = allowed


@contextmanager
def planner_settings() -> Iterator[Planner]:
    """PostgreSQL: no sequential scans and no JIT for the search's queries (this
    transaction only).

    The candidates' ``LIMIT 200`` tempts the planner into a sequential scan that it
    expects to stop early; for a rare term it reads the whole million-row table instead
    of the few rows the trigram index names. JIT compiling such a plan costs more than
    running the index scan. One statement per search; other databases: nothing.
    """
    planner = Planner()
    if not planner.postgresql:
        yield planner
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)")
        yield planner


def _term_q(fields: tuple[str, ...], term: str) -> Q:
    if len(term) >= SUBSTRING_MIN:
        return reduce(or_, (Q(**{f"{field}__icontains": term}) for field in fields))
    return reduce(
        or_,
        (Q(**{f"{field}__istartswith": term}) | Q(**{f"{field}__icontains": f" {term}"}) for field in fields),
    )


def matching(source: Source, scope: Scope, terms: list[str]) -> QuerySet[Any]:
    """The rows of ``source`` in the scope that match every term."""
    rows = source.scope(scope)
    if connection.vendor == "sqlite" and scope.everything and fts_ready(connection):
        rows = _narrowed_by_fts(rows, source.kind, terms)
    return rows.filter(reduce(and_, (_term_q(source.fields, term) for term in terms)))


def _narrowed_by_fts(rows: QuerySet[Any], kind: str, terms: list[str]) -> QuerySet[Any]:
    """SQLite: only the rows the FTS5 indexes say may match (the lookups then decide).

    Only for a scope of the whole database: SQLite reads every FTS match before it
    joins, while a CSM's or a team's rows are fewer, found by the account index.
    """
    table = BY_KIND[kind]
    long_terms = [term for term in terms if len(term) >= SUBSTRING_MIN]
    short_terms = [term for term in terms if len(term) < SUBSTRING_MIN]
    # The table names are ours; the terms travel as parameters.
    if long_terms:
        sql = f"SELECT rowid FROM {table.fts} WHERE {table.fts} MATCH %s"  # noqa: S608
        rows = rows.filter(pk__in=RawSQL(sql, [fts_query(long_terms)]))  # noqa: S611
    if short_terms:
        sql = f"SELECT rowid FROM {table.words} WHERE {table.words} MATCH %s"  # noqa: S608
        rows = rows.filter(pk__in=RawSQL(sql, [words_query(short_terms)]))  # noqa: S611
    return rows


def _walks_accounts(source: Source, scope: Scope) -> bool:
    return source.by_account and scope.named


def ranked_rows(
    sources: tuple[Source, ...], scope: Scope, terms: list[str], limit: int, planner: Planner
) -> dict[str, list[dict[str, Any]]]:
    """The best ``limit`` matches of each source, as dicts of ``source.values``, by kind.

    One query per source ranks its first ``CANDIDATES`` matches (a subquery that stops
    at its LIMIT) and counts them; when there are that many, a second one ranks the
    matches that start with the first term (an exact name among many), and the two
    rankings are merged. The sources that go through the trigram index come first, then
    those that walk a named scope's accounts, then the prefix matches: the planner's
    settings change at most twice.
    """
    phrase = " ".join(terms)
    matched = {source.kind: matching(source, scope, terms).order_by() for source in sources}
    best: dict[str, list[dict[str, Any]]] = {}
    for source in sorted(sources, key=lambda source: _walks_accounts(source, scope)):
        planner.allow_bitmaps(not _walks_accounts(source, scope))
        best[source.kind] = _best(source, matched[source.kind].values("pk")[:CANDIDATES], phrase, limit)
    for source in sources:
        rows = best[source.kind]
        if rows and rows[0]["search_candidates"] == CANDIDATES and source.prefix_first:
            planner.allow_bitmaps(False)  # the btree range scan, not the trigram bitmap
            prefixed = matched[source.kind].filter(**{f"{source.fields[0]}__istartswith": terms[0]})
            more = _best(source, prefixed.values("pk")[:PREFIX_CANDIDATES], phrase, limit)
            best[source.kind] = _merged(source, rows, more, limit)
    return {source.kind: best[source.kind] for source in sources}


def _best(source: Source, candidates: QuerySet[Any], phrase: str, limit: int) -> list[dict[str, Any]]:
    """The best ``limit`` of the candidates, with their sort key and how many there were."""
    first = source.fields[0]
    order: list[Any] = ["search_rank", F("search_length").asc(nulls_last=True)]
    if source.recent_first:
        order.append(F(source.recent_first).desc(nulls_last=True))
    order.append("-pk")
    rows = (
        source.model._default_manager.filter(pk__in=candidates)
        .annotate(
            search_rank=Case(
                When(**{f"{first}__iexact": phrase}, then=Value(0)),
                When(**{f"{first}__istartswith": phrase}, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            search_length=Length(first),
            search_candidates=Window(Count("pk")),
        )
        .order_by(*order)
        .values(*source.values, *SORT_KEY, *([source.recent_first] if source.recent_first else []))[:limit]
    )
    return list(rows)


SORT_KEY = ("search_rank", "search_length", "search_candidates")


def _merged(source: Source, rows: list[dict[str, Any]], more: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Two rankings as one, in the order ``_best`` sorts (stable sorts, the last key first)."""
    merged = list({row["pk"]: row for row in [*rows, *more]}.values())
    merged.sort(key=lambda row: row["pk"], reverse=True)
    if recent := source.recent_first:  # newest first, no date last
        dated = sorted((row for row in merged if row[recent] is not None), key=lambda row: row[recent], reverse=True)
        merged = dated + [row for row in merged if row[recent] is None]
    merged.sort(key=lambda row: (row["search_rank"], row["search_length"] is None, row["search_length"] or 0))
    return merged[:limit]
