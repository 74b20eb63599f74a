"""The full rebuild against concurrent readers, writers run around the services, and
the quarter rows it derives (SQLite and PostgreSQL alike).

A reader during the rebuild sees the ledger as it was or as it is after the commit,
never a mix, never an empty one; the quarter rows the rebuild writes in bulk are those
an account's update writes one by one; the indexes the bulk write drops come back.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import F, Sum

from renewals.amendments import contract_amend
from renewals.ledger import arr_ledger_account_update, arr_ledger_rebuild
from renewals.ledger_quarters import QUARTER, TOTAL, quarter_number
from renewals.models import ArrMovement, ArrQuarter, ArrQuarterTotal, Contract
from renewals.services import contract_create
from tests.factories import AccountFactory

DAY = timedelta(days=1)


def contract(account: Any, start: date, end: date, arr: str) -> Contract:
    return contract_create(actor=None, account=account, start_date=start, end_date=end, arr=Decimal(arr))


def figures_of(table: str) -> Any:
    """What one statement reading a ledger table sees: per quarter, the totals' or the
    rows' ARR; the number of movements."""
    if table == "movements":
        return ArrMovement.objects.count()
    model = ArrQuarterTotal if table == "totals" else ArrQuarter
    rows = model.objects.values("number").annotate(arr=Sum("arr_start")).order_by("number")
    return {row["number"]: Decimal(str(row["arr"])).quantize(Decimal("0.01")) for row in rows}


def figures() -> dict[str, Any]:
    return {table: figures_of(table) for table in ("totals", "rows", "movements")}


def a_small_book(org: Any, accounts: int = 6) -> None:
    for i in range(accounts):
        account = AccountFactory(owner=org.csm_a1)
        first = contract(account, date(2024, 1 + i, 1), date(2025, 1 + i, 1) - DAY, str(1000 * (i + 1)))
        if i % 2:
            contract(account, date(2025, 1 + i, 1), date(2026, 1 + i, 1) - DAY, str(1100 * (i + 1)))
        if i % 3 == 1:
            contract_amend(contract=first, effective_date=first.start_date + 40 * DAY, arr_delta="300", actor=None)


@pytest.mark.django_db(transaction=True)
def test_a_reader_during_the_rebuild_sees_the_old_ledger_or_the_new_never_a_mix(org):
    a_small_book(org)
    arr_ledger_rebuild(today=date(2026, 1, 15))
    old = figures()
    assert old["totals"] and old["totals"] == old["rows"]
    Contract.objects.update(arr=F("arr") * 2)  # written around the services: the rebuild picks it up

    paused, resume = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def pause_after_the_quarter_rows(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if sql.lstrip().startswith(f"INSERT INTO {QUARTER} "):
            paused.set()
            resume.wait(60)
        return result

    def in_thread(work: Any, into: list[Any]) -> threading.Thread:
        def run() -> None:
            try:
                into.append(work())
            except BaseException as exc:  # noqa: BLE001 - re-raised by the test below
                failures.append(exc)
            finally:
                paused.set()  # never leave the test waiting on a failed rebuild
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def rebuild() -> int:
        with connection.execute_wrapper(pause_after_the_quarter_rows):
            return arr_ledger_rebuild(today=date(2026, 1, 15))

    rebuilt: list[int] = []
    seen: list[dict[str, Any]] = []
    rebuilding = in_thread(rebuild, rebuilt)
    assert paused.wait(60)
    # The quarter rows are written, not committed. The totals (the company's figures)
    # are read as they were; each table is read by one statement, from another
    # connection in a thread (on PostgreSQL the quarter rows' reader waits for the commit).
    assert ArrQuarterTotal.objects.count() and figures_of("totals") == old["totals"]
    reader = in_thread(figures, seen)
    reader.join(1.5)
    resume.set()
    rebuilding.join(60)
    reader.join(60)
    assert not failures, failures
    new = figures()
    assert rebuilt and new["totals"] == new["rows"]
    assert new["totals"] != old["totals"]  # the contracts' ARR doubled, the amendments' did not
    assert len(seen) == 1
    for table, figure in seen[0].items():
        assert figure in (old[table], new[table]), table  # never empty, never half-built
    arr_ledger_rebuild(today=date(2026, 1, 15))
    assert figures() == new  # what the rebuild left is what the contracts say


@pytest.mark.django_db
def test_the_rebuild_writes_the_rows_each_accounts_update_writes(org):
    a_small_book(org, accounts=8)
    account = AccountFactory(owner=org.csm_a2)
    # Churns, comes back nine quarters later (past the eight quarters ``held`` holds),
    # expands and contracts in one quarter.
    contract(account, date(2022, 2, 1), date(2022, 12, 31), "500")
    back = contract(account, date(2025, 2, 1), date(2026, 1, 31), "800")
    contract_amend(contract=back, effective_date=date(2025, 4, 10), arr_delta="200", actor=None)
    contract_amend(contract=back, effective_date=date(2025, 5, 20), arr_delta="-100", reason="Cut", actor=None)
    today = date(2026, 3, 15)

    def rows() -> list[tuple[Any, ...]]:
        names = [field.attname for field in ArrQuarter._meta.concrete_fields if field.name != "id"]
        return list(ArrQuarter.objects.order_by("account_id", "number").values_list(*names))

    arr_ledger_rebuild(today=today)
    rebuilt = rows()
    for each in {row[names_index] for row in rebuilt for names_index in [0]}:
        arr_ledger_account_update(account_id=each, today=today)
    assert rows() == rebuilt
    held = dict(ArrQuarter.objects.filter(account=account).values_list("quarter", "held"))
    assert held[date(2022, 1, 1)] == 0 and held[date(2022, 4, 1)] == 0b1
    assert date(2023, 4, 1) not in held  # no ARR, nothing moves
    assert held[date(2025, 1, 1)] == 0  # eight quarter starts without ARR
    assert held[date(2025, 4, 1)] == 0b1
    assert held[date(2026, 1, 1)] == 0b1111
    assert quarter_number(date(2026, 1, 1)) == max(row[2] for row in rebuilt)


@pytest.mark.django_db
def test_the_bulk_write_leaves_the_tables_indexes_and_constraints_as_they_were(org):
    a_small_book(org)

    def schema() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            found = []
            for table in (QUARTER, TOTAL):
                for name, info in connection.introspection.get_constraints(cursor, table).items():
                    found.append((name, repr(sorted((key, str(value)) for key, value in info.items()))))
            return sorted(found)

    before = schema()
    arr_ledger_rebuild()
    arr_ledger_rebuild()  # twice in one transaction: the temporary tables of the first are gone
    assert schema() == before
    assert {"arr_quarter_once", "arr_quarter_number", "arr_quarter_total_once"} <= {name for name, _info in before}
