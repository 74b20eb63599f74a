"""PostgreSQL query-planner settings for one transaction, for the few reports that need them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

# Hash tables (hash joins, hash aggregation) may use this many times ``work_mem``.
REPORT_HASH_MEM_MULTIPLIER = 8

_IN_REPORT: ContextVar[bool] = ContextVar("aggregate_report", default=False)
# The SET LOCAL statements already run in the current report block (None: outside one).
_SET_IN_REPORT: ContextVar[set[str] | None] = ContextVar("aggregate_report_settings", default=None)


@contextmanager
def aggregate_report() -> Iterator[None]:
    """Run a GROUP BY report over many rows into few groups with room to hash them.

    When a report groups by expressions (a quarter ``CASE`` over the due date, a
    segment ``CASE`` over ARR), PostgreSQL cannot estimate how few groups come out and
    budgets for one per row: too many for hash aggregation in ``work_mem``, so it
    sorts every row instead, spilling to disk. Letting hash tables use
    ``REPORT_HASH_MEM_MULTIPLIER`` × ``work_mem`` for this transaction only
    (``SET LOCAL``) lets it hash the few real groups. Inside an enclosing transaction
    the setting lasts until that one ends: harmless, it only allows hash tables more
    memory (undoing it would cost a query per report). Other databases: no change.
    A page showing several reports runs them inside one block: the nested ones reuse
    its transaction and setting instead of a savepoint and a ``SET`` each.
    """
    if connection.vendor != "postgresql" or _IN_REPORT.get():
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            # JIT off too: these reports' many cheap subplans push the planner's cost past
            # jit_above_cost, and compiling them takes longer than running them.
            cursor.execute(f"SET LOCAL hash_mem_multiplier = {REPORT_HASH_MEM_MULTIPLIER:d}; SET LOCAL jit = off")
        token = _IN_REPORT.set(True)
        settings_token = _SET_IN_REPORT.set(set())
        try:
            yield
        finally:
            _SET_IN_REPORT.reset(settings_token)
            _IN_REPORT.reset(token)


def set_local(cursor: CursorWrapper, statement: str) -> None:
    """Run a ``SET LOCAL`` statement, once per report block: the reports of one page
    share its transaction, so the second report's identical ``SET`` would be a wasted
    round trip."""
    done = _SET_IN_REPORT.get()
    if done is not None and statement in done:
        return
    cursor.execute(statement)
    if done is not None:
        done.add(statement)
