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

from .ledger_quarters import quarters_account_update, quarters_rebuild
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
        rows = _rebuild_postgresql(horizon)
    else:
        # Portable: replace every row (SQLite serialises writers anyway).
        sql, params = rebuild_sql(horizon=horizon)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {MOVEMENT}")  # noqa: S608 - the model's table name
            cursor.execute(sql, params)
            rows = max(cursor.rowcount, 0)
    quarters_rebuild(horizon=horizon)  # the KPI page's quarter rows, in the same transaction
    return rows


def _rebuild_postgresql(horizon: date) -> int:
    """The fresh movements into a temporary table, then only the difference written.

    Most nights almost nothing changed, so writing only the rows that differ keeps the
    table (and its index) from being rewritten whole. The table is locked against
    writers (account updates wait), readers keep reading the previous rows until commit;
    the window sorts get memory enough not to spill.
    """
    sql, params = movements_sql(horizon=horizon)
    same = " AND ".join(f"f.{name} = m.{name}" for name in ("kind", "amount", "arr_before", "arr_after"))
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {MOVEMENT} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # Inside an enclosing transaction the previous call's table is still there.
        cursor.execute("DROP TABLE IF EXISTS ledger_fresh")
        cursor.execute(f"CREATE TEMPORARY TABLE ledger_fresh ON COMMIT DROP AS {sql}", params)
        rows = max(cursor.rowcount, 0)
        cursor.execute("ANALYZE ledger_fresh")
        cursor.execute(
            f"DELETE FROM {MOVEMENT} m WHERE NOT EXISTS (SELECT 1 FROM ledger_fresh f "  # noqa: S608 - names only
            f"WHERE f.account_id = m.account_id AND f.month = m.month AND {same})"
        )
        cursor.execute(
            f"INSERT INTO {MOVEMENT} ({COLUMNS}) SELECT {COLUMNS} FROM ledger_fresh f "  # noqa: S608 - names only
            f"WHERE NOT EXISTS (SELECT 1 FROM {MOVEMENT} m WHERE m.account_id = f.account_id AND m.month = f.month)"
        )
        cursor.execute("DROP TABLE ledger_fresh")
    return rows


@transaction.atomic
def arr_ledger_account_update(*, account_id: int, today: date | None = None) -> int:
    """Replace one account's movements; returns the number of rows written."""
    advisory_xact_lock(_ACCOUNT_LOCK, account_id)
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
