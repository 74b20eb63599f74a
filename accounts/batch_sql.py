"""The set-based SQL behind ``accounts.services.AccountBatch.save`` (kept in one place).

Creating thousands of accounts through the ORM spends its time in Python, preparing
every value of every account, history row and timeline entry. Here instead:

- ``accounts_insert``: the new accounts in one statement per batch. On PostgreSQL the
  rows travel as one JSON document (``json_to_recordset``), so nothing is prepared per
  value; elsewhere ``bulk_create``. Either way the instances get their ids.
- ``history_copy``: their history rows, and ``timeline_created``: their "Account created"
  entries, each as one ``INSERT … SELECT`` from the accounts just written, so the rows
  are built by the database, never in Python.

The columns come from the models' metadata, so a field added to ``Account`` is carried
along (and the history model's tracked fields follow the account's).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.db.models.expressions import RawSQL
from django.utils import translation

from core.messages import Message

from .models import Account, TimelineEntry

BATCH_SIZE = 5000  # rows a statement: the sync's largest call is one statement


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model: Any, names: Sequence[str]) -> str:
    return ", ".join(_quote(model._meta.get_field(name).column) for name in names)


def values_subquery(values: Sequence[Any], *, db_type: str = "text") -> tuple[str, list[Any]]:
    """``SELECT`` of ``values`` with one parameter (a JSON list), however many there are.

    For ``IN`` over thousands of values: psycopg's client-side binding scans a query
    placeholder by placeholder, which for ``IN (%s, …)`` costs more than the query.
    """
    document = json.dumps(list(values), default=str)
    if connection.vendor == "postgresql":
        sql = f"SELECT CAST(value AS {db_type}) FROM json_array_elements_text(%s::json) AS value"  # noqa: S608 - our type
        return sql, [document]
    return "SELECT value FROM json_each(%s)", [document]


def values_in(values: Sequence[Any]) -> RawSQL:
    """The right-hand side of ``field__in=`` as ``values_subquery`` (text values)."""
    return RawSQL(*values_subquery(values))  # noqa: S611 - fixed SQL, the values are bound


def _ids_condition(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    subquery, params = values_subquery([int(pk) for pk in ids], db_type="bigint")
    return f"{column} IN ({subquery})", params


def _record_type(field: Any) -> str:
    db_type = str(field.db_type(connection))
    # Strings are read as text so that the INSERT (not a silent cast) enforces their length.
    return "text" if db_type.startswith("varchar") else db_type


def _insert_postgresql(accounts: Sequence[Account]) -> None:
    fields = [field for field in Account._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(_quote(field.column) for field in fields)
    record = ", ".join(f"{_quote(field.column)} {_record_type(field)}" for field in fields)
    # Identifiers and types come from the model; every value is in the bound JSON document.
    sql = (
        f"INSERT INTO {_quote(Account._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM ROWS FROM (json_to_recordset(%s::json) AS ({record})) "
        f"WITH ORDINALITY AS r({columns}, position) ORDER BY position "
        f"RETURNING {_quote(Account._meta.pk.column)}"
    )
    attnames = [(field.column, field.attname) for field in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(accounts), BATCH_SIZE):
            chunk = accounts[start : start + BATCH_SIZE]
            document = json.dumps(
                [{column: getattr(account, attname) for column, attname in attnames} for account in chunk],
                default=str,  # Decimal, date and datetime as PostgreSQL reads them
                ensure_ascii=False,
            )
            cursor.execute(sql, [document])
            # RETURNING yields the rows in the order inserted (bulk_create relies on it too).
            for account, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                account.pk = pk
                account._state.adding, account._state.db = False, connection.alias


def accounts_insert(accounts: Sequence[Account], *, now: datetime) -> None:
    """Insert ``accounts`` (unsaved, validated), created and updated ``now``; ids are set."""
    for account in accounts:
        account.created_at = account.updated_at = now
    if connection.vendor == "postgresql":
        _insert_postgresql(accounts)
    else:
        Account.objects.bulk_create(accounts, batch_size=BATCH_SIZE)


def _update_postgresql(accounts: Sequence[Account], names: Sequence[str]) -> None:
    pk = cast("Field[Any, Any]", Account._meta.pk)
    columns = [(pk.column, pk.attname, _record_type(pk))] + [
        (field.column, field.attname, _record_type(field))
        for field in (cast("Field[Any, Any]", Account._meta.get_field(name)) for name in names)
    ]
    record = ", ".join(f"{_quote(column)} {db_type}" for column, _attname, db_type in columns)
    assignments = ", ".join(f"{_quote(column)} = r.{_quote(column)}" for column, _attname, _type in columns[1:])
    sql = (
        f"UPDATE {_quote(Account._meta.db_table)} AS a SET {assignments} "  # noqa: S608 - our identifiers; values bound
        f"FROM json_to_recordset(%s::json) AS r({record}) WHERE a.{_quote(pk.column)} = r.{_quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(accounts), BATCH_SIZE):
            chunk = accounts[start : start + BATCH_SIZE]
            rows = [{column: getattr(account, attname) for column, attname, _type in columns} for account in chunk]
            cursor.execute(sql, [json.dumps(rows, default=str, ensure_ascii=False)])


def accounts_update(accounts: Sequence[Account], names: Sequence[str]) -> None:
    """Write the fields ``names`` of the (fetched, changed, validated) ``accounts``.

    On PostgreSQL one ``UPDATE … FROM`` a JSON document per batch; elsewhere
    ``bulk_update`` (its ``CASE WHEN`` per field and row is where the time would go
    on PostgreSQL: a placeholder per value)."""
    if connection.vendor == "postgresql":
        _update_postgresql(accounts, names)
    else:
        Account.objects.bulk_update(accounts, list(names), batch_size=2000)


def history_copy(
    ids: Sequence[int], *, history_type: str, user_id: int | None, reason: str | None, when: datetime
) -> None:
    """History rows (``"+"`` created, ``"~"`` changed) of the accounts ``ids`` as they are now."""
    if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = Account.history.model
    # The tracked fields are the account's own, under the same column names.
    tracked = ", ".join(_quote(field.column) for field in history.tracked_fields)
    extra_columns = _columns(history, ["history_date", "history_change_reason", "history_type", "history_user"])
    account_pk = _quote(Account._meta.pk.column)
    condition, params = _ids_condition(account_pk, ids)
    sql = (
        f"INSERT INTO {_quote(history._meta.db_table)} ({tracked}, {extra_columns}) "  # noqa: S608
        f"SELECT {tracked}, %s, %s, %s, %s FROM {_quote(Account._meta.db_table)} "
        f"WHERE {condition} ORDER BY {account_pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_datetime(when), reason, history_type, user_id, *params])


def timeline_created(ids: Sequence[int], *, message: Message, actor_id: int | None, when: datetime) -> None:
    """The "Account created" system entry of each of the accounts ``ids`` (no dedupe key)."""
    if not ids:
        return
    meta = TimelineEntry._meta
    with translation.override(settings.LANGUAGE_CODE):  # the stored fallback, as timeline_record writes it
        title = message.render()
    values = {
        "account": None,  # the account's id, from the SELECT
        "is_touchpoint": False,
        "kind": "account_created",
        "occurred_at": _datetime(when),
        "actor": actor_id,
        "title": str(title)[:300],  # as timeline_record clips it
        "message_key": message.key,
        "message_params": json.dumps(message.params),
        "body_messages": "[]",
        "body": "",
        "outcome": "",
        "data": "{}",
        "created_at": _datetime(when),
    }
    columns = _columns(TimelineEntry, list(values))
    account_pk = _quote(Account._meta.pk.column)
    condition, params = _ids_condition(account_pk, ids)
    marks = ", ".join(["%s"] * (len(values) - 1))
    sql = (
        f"INSERT INTO {_quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {account_pk}, {marks} FROM {_quote(Account._meta.db_table)} WHERE {condition} ORDER BY {account_pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*list(values.values())[1:], *params])


def _datetime(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)
