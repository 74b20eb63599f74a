"""The monthly ARR ledger: ``ArrMovement`` rows rebuilt from contracts and amendments.

- ``arr_ledger_rebuild()``: every account at once, set-based (one ``INSERT … SELECT``,
  ``renewals.ledger_sql``); beat runs it nightly (``renewals.arr_ledger_rebuild_task``),
  so the horizon moves to the new month and changes written around the services (the
  admin, bulk loads) are picked up.
- ``arr_ledger_account_update(account_id=…)``: one account's rows replaced, after every
  contract or amendment change (``ledger_account_changed`` queues
  ``renewals.arr_ledger_account_task`` after commit). Both recompute from the source
  rows, so running either twice writes the same rows.

The horizon is the current month: a contract's end in a later month is not a churn yet.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from core.locks import advisory_xact_lock
from core.pg_tuning import set_local

from .ledger_quarters import (
    QUARTER,
    QUARTER_COLUMNS,
    TOTAL,
    quarters_account_update,
    quarters_rebuild,
    quarters_sql,
    totals_replace,
)
from .ledger_sql import COLUMNS, MOVEMENT, movements_sql, rebuild_sql
from .models import ArrMovement

# pg_advisory_xact_lock(namespace, account id): one account's update at a time.
_ACCOUNT_LOCK = 0x4C454447  # "LEDG"


def ledger_horizon(today: date | None = None) -> date:
    """The last month the ledger covers: the current one."""
    return (today or timezone.localdate()).replace(day=1)


@transaction.atomic
def arr_ledger_rebuild(*, today: date | None = None) -> int:
    """Make the ledger what the contracts and amendments say; returns its number of rows."""
    horizon = ledger_horizon(today)
    if connection.vendor == "postgresql":
        return _rebuild_postgresql(horizon)
    # Portable: replace every row (SQLite serialises writers anyway).
    sql, params = rebuild_sql(horizon=horizon)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MOVEMENT}")  # noqa: S608 - the model's table name
        cursor.execute(sql, params)
        rows = max(cursor.rowcount, 0)
    quarters_rebuild(horizon=horizon)  # the KPI page's quarter rows, in the same transaction
    return rows


# Temporary tables (dropped at commit: nothing outlives the transaction, PgBouncer-safe).
_FRESH, _FRESH_QUARTERS, _CHANGES = "ledger_fresh", "ledger_fresh_quarters", "ledger_changes"
_TUNING = (
    "SET LOCAL work_mem = '256MB'",  # the window sorts in memory
    "SET LOCAL maintenance_work_mem = '256MB'",  # the index builds too
    "SET LOCAL jit = off",  # compiling these plans costs more than it saves
    # A crash before the commit is flushed loses this rebuild, not the previous ledger.
    "SET LOCAL synchronous_commit = off",
)


def _rebuild_postgresql(horizon: date) -> int:
    """Everything computed aside first, then written: the movements as a difference,
    the quarter rows in bulk, the totals replaced.

    The three tables are locked against writers first (an account's update waits), in
    the order every writer takes them (``arr_ledger_account_update``). The fresh
    movements and quarter rows go into temporary tables while readers still read the
    previous ledger; most nights almost no movement changes, so only the difference is
    written to their table. The quarter rows (about ten per account) are replaced in
    bulk (``bulk_replace``: readers of that table wait for the commit, then see the new
    rows); the totals are rewritten row by row, readers seeing the old ones until commit.
    """
    sql, params = movements_sql(horizon=horizon)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TOTAL}, {QUARTER}, {MOVEMENT} IN SHARE ROW EXCLUSIVE MODE")
        for statement in _TUNING:
            set_local(cursor, statement)
        # Inside an enclosing transaction the previous call's tables are still there.
        cursor.execute(f"DROP TABLE IF EXISTS {_FRESH}, {_FRESH_QUARTERS}, {_CHANGES}")
        # Sorted groups, not hashed: a hash table of a few hundred thousand groups with
        # numeric sums outgrows memory, and the windows need the groups sorted anyway.
        cursor.execute("SET LOCAL enable_hashagg = off")
        cursor.execute(f"CREATE TEMPORARY TABLE {_FRESH} ON COMMIT DROP AS {sql}", params)
        rows = max(cursor.rowcount, 0)
        quarters, quarter_params = quarters_sql(horizon=horizon, source=_FRESH)
        cursor.execute(f"CREATE TEMPORARY TABLE {_FRESH_QUARTERS} ON COMMIT DROP AS {quarters}", quarter_params)
        cursor.execute("SET LOCAL enable_hashagg = on")  # the totals: a few hundred groups
        _write_movements(cursor, rows)
        totals_replace(cursor, source=_FRESH_QUARTERS)
        bulk_replace(cursor, table=QUARTER, columns=QUARTER_COLUMNS, source=_FRESH_QUARTERS)
        cursor.execute(f"DROP TABLE {_FRESH}, {_FRESH_QUARTERS}, {_CHANGES}")
    return rows


def _write_movements(cursor: Any, rows: int) -> None:
    """The fresh movements into their table: only the difference when it is small
    (most nights), else in bulk.

    The difference comes from one full join of the fresh rows with the table (a hash
    or merge join whatever the statistics say: a full join has no nested-loop plan, so
    a table the planner believes empty cannot turn it quadratic).
    """
    differ = " OR ".join(f"f.{name} <> m.{name}" for name in ("kind", "amount", "arr_before", "arr_after"))
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_CHANGES} ON COMMIT DROP AS SELECT m.id AS gone, {_prefixed('f', COLUMNS)} "  # noqa: S608
        f"FROM {_FRESH} f FULL JOIN {MOVEMENT} m ON m.account_id = f.account_id AND m.month = f.month "
        f"WHERE m.id IS NULL OR f.account_id IS NULL OR {differ}"
    )
    changes = max(cursor.rowcount, 0)
    if changes * 5 > rows:  # more than a fifth of the ledger: rewrite it
        bulk_replace(cursor, table=MOVEMENT, columns=COLUMNS, source=_FRESH)
    elif changes:
        cursor.execute(f"DELETE FROM {MOVEMENT} WHERE id IN (SELECT gone FROM {_CHANGES} WHERE gone IS NOT NULL)")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {MOVEMENT} ({COLUMNS}) SELECT {COLUMNS} FROM {_CHANGES} WHERE account_id IS NOT NULL"  # noqa: S608
        )


def _prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{name.strip()}" for name in columns.split(","))


def bulk_replace(cursor: Any, *, table: str, columns: str, source: str) -> None:
    """Replace every row of ``table`` by those of ``source``: emptied (TRUNCATE), its
    indexes and the constraints they back (primary key included) dropped, the rows
    inserted, the indexes built again from their definitions as the catalog has them
    (the primary key first).

    Filling a table without its indexes then building each once is several times
    faster than inserting a million rows into the indexes one by one, let alone
    beside as many deleted rows. TRUNCATE takes the table's exclusive lock: until the
    commit, readers wait (then read the new rows) instead of seeing it half-filled.
    """
    cursor.execute(
        "SELECT i.relname, c.conname, pg_get_indexdef(x.indexrelid), pg_get_constraintdef(c.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "WHERE x.indrelid = %s::regclass ORDER BY x.indisprimary, i.relname",
        [table],
    )
    indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    cursor.execute(f"TRUNCATE {table}")
    for index, constraint, _definition, _constraint_definition in indexes:
        if constraint is not None:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(constraint)}")
        else:
            cursor.execute(f"DROP INDEX {quote(index)}")
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {source}")  # noqa: S608 - names only
    for _index, constraint, definition, constraint_definition in reversed(indexes):
        if constraint is not None:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint)} {constraint_definition}")
        else:
            cursor.execute(definition)
    # The column statistics of the previous rows stay (TRUNCATE keeps them) and still
    # describe the new ones; a table never analysed gets its first statistics here.
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = %s)", [table])
    if not cursor.fetchone()[0]:
        cursor.execute(f"ANALYZE {table}")


@transaction.atomic
def arr_ledger_account_update(*, account_id: int, today: date | None = None) -> int:
    """Replace one account's movements; returns the number of rows written."""
    advisory_xact_lock(_ACCOUNT_LOCK, account_id)
    if connection.vendor == "postgresql":
        # The tables in the rebuild's order (totals, quarter rows, movements): a rebuild
        # and updates wait for each other instead of deadlocking.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {TOTAL}, {QUARTER}, {MOVEMENT} IN ROW EXCLUSIVE MODE")
    horizon = ledger_horizon(today)
    ArrMovement.objects.filter(account_id=account_id).delete()
    sql, params = rebuild_sql(horizon=horizon, account_id=account_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = max(cursor.rowcount, 0)
    quarters_account_update(account_id=account_id, horizon=horizon)
    return rows


def on_account_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An account being deleted leaves the quarter totals with its rows (the collector's
    transaction; its movements and quarter rows go with it)."""
    quarters_account_update(account_id=instance.pk, horizon=None)


def ledger_account_changed(account_id: int) -> None:
    """Queue the account's ledger update once the current transaction commits."""
    transaction.on_commit(lambda: arr_ledger_account_task.delay(account_id=account_id))


@shared_task(name="renewals.arr_ledger_account_task", ignore_result=True, acks_late=True)
def arr_ledger_account_task(*, account_id: int) -> int:
    """Recompute one account's ledger from its contracts and amendments (idempotent)."""
    return arr_ledger_account_update(account_id=account_id)


@shared_task(name="renewals.arr_ledger_rebuild_task", ignore_result=True, acks_late=True)
def arr_ledger_rebuild_task() -> int:
    """Nightly (beat): the whole ledger from the source rows (idempotent)."""
    return arr_ledger_rebuild()
