"""Writing a validated batch of usage events: the only raw SQL of the ingest path.

Both paths insert the whole batch with a constant number of statements, skip rows whose
idempotency key ``(account_id, event_id, occurred_at)`` is already stored, and return
how many rows were actually inserted:

- PostgreSQL: COPY straight into the (partitioned) events table inside a savepoint —
  the ingest has just looked up the batch's keys (``events_stored_positions``), so
  none is expected to be stored. Should one be (a concurrent retry, a caller that did
  not check), the unique key refuses the COPY, the savepoint undoes it, and the batch
  goes through COPY into a temporary staging table plus one
  ``INSERT … SELECT … ON CONFLICT DO NOTHING``.
- Everything else (SQLite): one ``INSERT … SELECT … FROM json_each(%s) ON CONFLICT DO
  NOTHING`` with the batch as a single JSON parameter. ``bulk_create`` would split a
  batch into statements of 111 rows (SQLite's 999-variable limit / 9 columns), i.e.
  a query count that grows with the batch. The values are prepared by the model fields
  themselves (``get_db_prep_save``), so rows look exactly as if the ORM wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, models, transaction

from .models import HealthScore, UsageEvent

if TYPE_CHECKING:  # validation asks this module which events are stored already
    from .validation import ValidEvent

EventKey = tuple[int, str, datetime]

# Model field names, in the order the staging rows carry them.
_FIELDS = ("account", "occurred_at", "event_name", "customer_user_id", "quantity", "properties", "event_id")
_STAGING = "health_event_staging"


def _field(name: str) -> models.Field[Any, Any]:
    field = UsageEvent._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _column(name: str) -> str:
    return connection.ops.quote_name(str(_field(name).column))


def _columns() -> list[str]:
    return [_column(name) for name in _FIELDS]


def _key_columns() -> str:
    return ", ".join(_column(name) for name in ("account", "event_id", "occurred_at"))


def events_stored_positions(*, keys: Sequence[tuple[int, EventKey]]) -> set[int]:
    """Of ``(position, (account_id, event_id, occurred_at))`` pairs, the positions whose
    key is already stored: one indexed query for the whole batch, so a replayed batch
    is recognised before the rest of its fields are checked.

    The time range bounds the partitions PostgreSQL looks into.
    """
    if not keys:
        return set()
    table = connection.ops.quote_name(UsageEvent._meta.db_table)
    account, event_id, occurred_at = (_column(name) for name in ("account", "event_id", "occurred_at"))
    with connection.cursor() as cursor:
        # The keys as one JSON parameter: adapting 10,000-element arrays (quoting every
        # text) costs more than the query.
        if connection.vendor == "postgresql":
            times = [key[2] for _position, key in keys]
            rows = [[position, key[0], key[1], key[2].isoformat()] for position, key in keys]
            cursor.execute(
                f"SELECT (k->>0)::int FROM jsonb_array_elements(%s::jsonb) k JOIN {table} e "  # noqa: S608 - identifiers come from the model
                f"ON e.{account} = (k->>1)::bigint AND e.{event_id} = k->>2 AND e.{occurred_at} = (k->>3)::timestamptz "
                f"WHERE e.{occurred_at} BETWEEN %s AND %s",
                [json.dumps(rows), min(times), max(times)],
            )
        else:
            rows = [[position, key[0], key[1], _prepared("occurred_at", key[2])] for position, key in keys]
            cursor.execute(
                f"SELECT json_extract(k.value, '$[0]') FROM json_each(%s) k JOIN {table} e "  # noqa: S608 - identifiers come from the model
                f"ON e.{account} = json_extract(k.value, '$[1]') AND e.{event_id} = json_extract(k.value, '$[2]') "
                f"AND e.{occurred_at} = json_extract(k.value, '$[3]')",
                [json.dumps(rows)],
            )
        return {int(row[0]) for row in cursor.fetchall()}


def events_store(*, events: Sequence[ValidEvent], received_at: datetime) -> int:
    """Insert ``events`` (already validated and de-duplicated); return the number stored.

    Call inside a transaction: on PostgreSQL the staging table lives only as long as it.
    """
    if not events:
        return 0
    if connection.vendor == "postgresql":
        return _store_postgresql(events, received_at)
    return _store_portable(events, received_at)


def _store_postgresql(events: Sequence[ValidEvent], received_at: datetime) -> int:
    try:
        # The ingest checked the batch's keys just before (events_check): nearly always
        # none is stored, and COPY straight into the table costs half the staged path.
        with transaction.atomic(savepoint=True):
            return _copy_into_events(events, received_at)
    except IntegrityError:
        # A key got stored meanwhile (a concurrent retry) or the caller did not check:
        # the savepoint undid the COPY; skip the stored ones through the staging table.
        return _store_staged(events, received_at)


def _copy_rows(copy: Any, events: Sequence[ValidEvent], *extra: Any) -> None:
    dumps = json.dumps
    for event in events:
        copy.write_row(
            (
                event.account_id,
                event.occurred_at,
                event.event_name,
                event.customer_user_id,
                event.quantity,
                dumps(event.properties),
                event.event_id,
                *extra,
            )
        )


def _copy_into_events(events: Sequence[ValidEvent], received_at: datetime) -> int:
    table = connection.ops.quote_name(UsageEvent._meta.db_table)
    columns = ", ".join([*_columns(), _column("received_at")])
    # COPY bypasses Django's cursor wrapper: wrap_database_errors turns psycopg's errors
    # into Django's (IntegrityError here; OperationalError is the API's 503).
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        _copy_rows(copy, events, received_at)
    return len(events)


def _store_staged(events: Sequence[ValidEvent], received_at: datetime) -> int:
    table = connection.ops.quote_name(UsageEvent._meta.db_table)
    columns = ", ".join(_columns())
    staging_columns = "account_id, occurred_at, event_name, customer_user_id, quantity, properties, event_id"
    received = _column("received_at")
    # atomic: the staging table lives on one server connection, which a pooler in
    # transaction mode (PgBouncer) only keeps for the transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        # Column types as in the events table, so COPY does the parsing. Dropped at the
        # end rather than ON COMMIT: a caller may ingest several batches in one
        # transaction (the import command does); a rollback removes it anyway.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGING} (account_id bigint, occurred_at timestamptz, event_name text, "
            "customer_user_id text, quantity numeric, properties jsonb, event_id text)"
        )
        with connection.wrap_database_errors, cursor.copy(f"COPY {_STAGING} ({staging_columns}) FROM STDIN") as copy:
            _copy_rows(copy, events)
        cursor.execute(
            f"INSERT INTO {table} ({columns}, {received}) "  # noqa: S608 - identifiers come from the model
            f"SELECT {staging_columns}, %s FROM {_STAGING} "
            f"ON CONFLICT ({_key_columns()}) DO NOTHING",
            [received_at],
        )
        stored = cursor.rowcount
        cursor.execute(f"DROP TABLE {_STAGING}")
    return stored


def _prepared(name: str, value: Any) -> Any:
    prepared = _field(name).get_db_prep_save(value, connection)
    # sqlite3 binds Decimal as its str(); do the same so json_each hands over text.
    return str(prepared) if isinstance(prepared, Decimal) else prepared


def _store_portable(events: Sequence[ValidEvent], received_at: datetime) -> int:
    table = connection.ops.quote_name(UsageEvent._meta.db_table)
    columns = _columns()
    received = _column("received_at")
    rows = [
        [
            _prepared("account", event.account_id),
            _prepared("occurred_at", event.occurred_at),
            _prepared("event_name", event.event_name),
            _prepared("customer_user_id", event.customer_user_id),
            _prepared("quantity", event.quantity),
            _prepared("properties", event.properties),
            _prepared("event_id", event.event_id),
        ]
        for event in events
    ]
    picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    with connection.cursor() as cursor:
        # "WHERE true" is how SQLite tells the ON CONFLICT clause from a join constraint.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, {received}) "  # noqa: S608 - identifiers come from the model
            f"SELECT {picks}, %s FROM json_each(%s) WHERE true "
            f"ON CONFLICT ({_key_columns()}) DO NOTHING",
            [_prepared("received_at", received_at), json.dumps(rows)],
        )
        return cursor.rowcount


# --- Health scores ------------------------------------------------------------------------

_SCORE_FIELDS = ("account", "day", "model", "score", "colour", "measures", "changes", "previous_score", "computed_at")
_SCORE_UPDATE = ("model", "score", "colour", "measures", "changes", "previous_score", "computed_at")
_SCORE_STAGING = "health_score_staging"


def _score_field(name: str) -> models.Field[Any, Any]:
    field = HealthScore._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def health_scores_upsert(*, rows: Sequence[HealthScore]) -> int:
    """Insert or overwrite the ``(account, day)`` rows; return how many were written.

    PostgreSQL: COPY into a temporary staging table, then one ``INSERT … ON CONFLICT DO
    UPDATE``. A multi-row ``INSERT`` with one bound JSON parameter per row spends most
    of its time adapting and escaping the measures; COPY streams them as text.
    Elsewhere ``bulk_create(update_conflicts=True)``, with the same result.
    """
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        HealthScore.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["account", "day"], update_fields=list(_SCORE_UPDATE)
        )
        return len(rows)
    table = connection.ops.quote_name(HealthScore._meta.db_table)
    columns = [connection.ops.quote_name(str(_score_field(name).column)) for name in _SCORE_FIELDS]
    column_list = ", ".join(columns)
    updates = ", ".join(
        f"{column} = EXCLUDED.{column}"
        for name, column in zip(_SCORE_FIELDS, columns, strict=True)
        if name in _SCORE_UPDATE
    )
    dumps = json.dumps
    # One transaction: the staging table lives on one server connection, which a pooler
    # in transaction mode (PgBouncer) only keeps for the transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_SCORE_STAGING} (account_id bigint, day date, model_id bigint, score smallint, "
            "colour text, measures jsonb, changes jsonb, previous_score smallint, computed_at timestamptz)"
        )
        with cursor.copy(f"COPY {_SCORE_STAGING} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.account_id,
                        row.day,
                        row.model_id,
                        row.score,
                        row.colour,
                        dumps(row.measures),
                        dumps(row.changes),
                        row.previous_score,
                        row.computed_at,
                    )
                )
        key = ", ".join(columns[:2])
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) "  # noqa: S608 - identifiers come from the model
            f"SELECT * FROM {_SCORE_STAGING} ORDER BY account_id "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {_SCORE_STAGING}")
    return written
