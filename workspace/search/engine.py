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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from core.types import AnyUser

from .sources import Source, sees_everything
from .sqlite_index import BY_KIND, fts_query, fts_ready, words_query

SUBSTRING_MIN = 3
CANDIDATES = 200
PREFIX_CANDIDATES = 50


@contextmanager
def planner_settings() -> Iterator[None]:
    """PostgreSQL: no sequential scans and no JIT for the search's queries (this
    transaction only).

    The candidates' ``LIMIT 200`` tempts the planner into a sequential scan that it
    expects to stop early; for a rare term it reads the whole million-row table instead
    of the few rows the trigram index names. JIT compiling such a plan costs more than
    running the index scan. One statement per search; other databases: nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)")
        yield


def _term_q(fields: tuple[str, ...], term: str) -> Q:
    if len(term) >= SUBSTRING_MIN:
        return reduce(or_, (Q(**{f"{field}__icontains": term}) for field in fields))
    return reduce(
        or_,
        (Q(**{f"{field}__istartswith": term}) | Q(**{f"{field}__icontains": f" {term}"}) for field in fields),
    )


def matching(source: Source, user: AnyUser, terms: list[str]) -> QuerySet[Any]:
    """The rows of ``source`` in the user's scope that match every term."""
    rows = source.scope(user)
    if connection.vendor == "sqlite" and sees_everything(user) and fts_ready(connection):
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


def ranked_rows(source: Source, user: AnyUser, terms: list[str], limit: int) -> list[dict[str, Any]]:
    """The best ``limit`` matches of one source, as dicts of ``source.values``.

    Two queries (the candidates, then the ranked rows); a third for the prefix matches
    when a term has more than ``CANDIDATES`` matches; one when there are none.
    """
    rows = matching(source, user, terms).order_by()  # no sort before the candidates' LIMIT
    first = source.fields[0]
    phrase = " ".join(terms)
    # The candidates are fetched first (two index scans that stop at their LIMIT): an
    # ``IN (…) OR IN (…)`` of the two subqueries would make PostgreSQL filter every row.
    candidates = list(rows.values_list("pk", flat=True)[:CANDIDATES])
    if len(candidates) == CANDIDATES:
        prefixed = rows.filter(**{f"{first}__istartswith": terms[0]}).values_list("pk", flat=True)
        candidates += list(prefixed[:PREFIX_CANDIDATES])  # an exact match among many
    if not candidates:
        return []
    order: list[Any] = [
        "rank",
        Length(first).asc(nulls_last=True),
    ]
    if source.recent_first:
        order.append(F(source.recent_first).desc(nulls_last=True))
    order.append("-pk")
    best = (
        source.model._default_manager.filter(pk__in=candidates)
        .annotate(
            rank=Case(
                When(**{f"{first}__iexact": phrase}, then=Value(0)),
                When(**{f"{first}__istartswith": phrase}, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by(*order)
        .values(*source.values)[:limit]
    )
    return list(best)
