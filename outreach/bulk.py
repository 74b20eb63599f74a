"""Set-based statements for sending at scale: one statement per batch, not per contact.

The survey decision is one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` of the
recipients that the rules let through (written by the database from the candidates'
query joined with their preferences) and one upsert of their ``last_surveyed_at`` from
the rows just written. Queueing is one ``INSERT … SELECT … ON CONFLICT DO NOTHING
RETURNING id`` into the outbox (``core.models.OutboundEmail``), the same rows
``core.outbox.emails_enqueue`` writes (bodies rendered later by the delivery worker,
``render_with`` and its arguments), so delivery, its claims and its dedupe keys are
unchanged: the outbox stays the only way mail leaves. The SQL is the same on PostgreSQL
and SQLite (≥ 3.35 for ``RETURNING``) but for the JSON constructors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Model, QuerySet

from core.models import OutboundEmail


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return quote(model._meta.db_table)


def db_time(value: datetime | None) -> Any:
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def subquery(queryset: QuerySet[Any, Any]) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of ``queryset`` (a ``values(…)`` query), to embed as ``IN (…)``."""
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, tuple(params)


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run one statement; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return int(cursor.rowcount or 0)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(row) for row in cursor.fetchall()]


def _json_array(expression: str) -> str:
    return f"jsonb_build_array({expression})" if connection.vendor == "postgresql" else f"json_array({expression})"


def _json_object(pairs: Sequence[tuple[str, str]]) -> str:
    inner = ", ".join(f"'{name}', {expression}" for name, expression in pairs)
    return f"jsonb_build_object({inner})" if connection.vendor == "postgresql" else f"json_object({inner})"


def _empty_json_list() -> str:
    return "'[]'::jsonb" if connection.vendor == "postgresql" else "'[]'"


def outbox_insert_select(
    *, source: str, params: Sequence[Any], render_with: str, arg_names: Sequence[str], now: datetime
) -> list[int]:
    """Queue the rows of ``source`` in the outbox in one statement; the ids of the rows it
    created (an existing dedupe key is left as it is), handed to one delivery task after
    commit, as ``emails_enqueue`` does.

    ``source`` is a SELECT whose columns are ``dedupe_key``, ``address``, ``subject`` and
    one column per name in ``arg_names`` (the renderer's integer arguments).
    """
    assert all(name.isidentifier() for name in arg_names)
    args = _json_object([(name, f"src.{name}") for name in arg_names])
    columns = (
        "dedupe_key",
        "to",
        "cc",
        "subject",
        "body_text",
        "body_html",
        "render_with",
        "render_args",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    )
    sql = (
        f"INSERT INTO {table(OutboundEmail)} ({', '.join(map(quote, columns))}) "  # noqa: S608 - names and placeholders
        f"SELECT src.dedupe_key, {_json_array('src.address')}, {_empty_json_list()}, SUBSTR(src.subject, 1, 300), "
        f"'', '', %s, {args}, %s, 0, %s, '', %s FROM ({source}) src WHERE src.dedupe_key IS NOT NULL "
        f"ON CONFLICT DO NOTHING RETURNING {quote(OutboundEmail._meta.pk.column)}"
    )
    at = db_time(now)
    head = [render_with, OutboundEmail.Status.QUEUED.value, at, at]
    ids = sorted(row[0] for row in fetch(sql, [*head, *params]))
    if ids:
        from core.tasks import email_deliver_many_task

        transaction.on_commit(lambda: email_deliver_many_task.delay(message_ids=ids))
    return ids


def in_list(column: str, ids: Sequence[int]) -> tuple[str, list[int]]:
    """``column IN (%s, …)`` for ``ids`` (a batch: at most a few thousand)."""
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


# Rows per multi-row INSERT: well under SQLite's 32,766 parameters for a few columns.
VALUES_CHUNK = 2000


def insert_values(
    *, into: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str = "", casts: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """``INSERT INTO <into> (<columns>) VALUES (…), (…) <suffix>``: one statement per
    ``VALUES_CHUNK`` rows, the values as parameters. ``casts`` (one per column, "" for
    none) wraps a placeholder, e.g. ``"jsonb"`` on PostgreSQL. With ``RETURNING`` in
    ``suffix``, the rows it returned."""
    if not rows:
        return []
    cells = [f"CAST(%s AS {cast})" if cast else "%s" for cast in (casts or [""] * len(columns))]
    one = f"({', '.join(cells)})"
    returned: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), VALUES_CHUNK):
        chunk = rows[start : start + VALUES_CHUNK]
        sql = (
            f"INSERT INTO {into} ({', '.join(map(quote, columns))}) "  # noqa: S608 - names and placeholders
            f"VALUES {', '.join([one] * len(chunk))} {suffix}"
        )
        params = [value for row in chunk for value in row]
        if "RETURNING" in suffix:
            returned += fetch(sql, params)
        else:
            execute(sql, params)
    return returned


def outbox_insert_values(
    *, rows: Sequence[tuple[str, str, str, dict[str, Any]]], render_with: str, now: datetime, keys: bool = False
) -> list[Any]:
    """Queue ``(dedupe_key, address, subject, render_args)`` rows in the outbox, a
    statement per ``VALUES_CHUNK`` (an existing dedupe key is left as it is); the ids
    created (with ``keys``: ``(dedupe_key, id)`` pairs), handed to one delivery task
    after commit."""
    import json

    json_cast = "jsonb" if connection.vendor == "postgresql" else ""
    at = db_time(now)
    queued = OutboundEmail.Status.QUEUED.value
    values = [
        (key, json.dumps([address]), "[]", subject[:300], "", "", render_with, json.dumps(args), queued, 0, at, "", at)
        for key, address, subject, args in rows
    ]
    columns = (
        "dedupe_key",
        "to",
        "cc",
        "subject",
        "body_text",
        "body_html",
        "render_with",
        "render_args",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    )
    casts = ["", json_cast, json_cast, "", "", "", "", json_cast, "", "", "", "", ""]
    pk = quote(OutboundEmail._meta.pk.column)
    returned = insert_values(
        into=table(OutboundEmail),
        columns=columns,
        rows=values,
        casts=casts,
        suffix=f"ON CONFLICT DO NOTHING RETURNING {pk}, dedupe_key",
    )
    ids = sorted(row[0] for row in returned)
    if ids:
        from core.tasks import email_deliver_many_task

        transaction.on_commit(lambda: email_deliver_many_task.delay(message_ids=ids))
    return [(key, pk) for pk, key in returned] if keys else ids
