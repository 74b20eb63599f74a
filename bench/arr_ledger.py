"""The ARR ledger: full rebuild and one account's update, against plain copies in the same run.

    createdb -h 127.0.0.1 -U postgres hourglass_bench_ledger
    .venv/bin/python bench/arr_ledger.py --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_ledger
    .venv/bin/python bench/arr_ledger.py [--accounts 100000] [--repeat 3] [--singles 20] [--database-url URL]

Data (its own, deterministic, ``BLEDGER`` accounts): ``--accounts`` accounts, each with
yearly contracts from a start month in 2023 over three years (about 1 in 8 does not
renew after a year, a third of those come back a few months later), a third of the
contracts with a mid-term expansion and one in ten with a contraction. Measured, each
``--repeat`` times, alternating with its baseline:

- ``arr_ledger_rebuild()`` into an empty table, and again with nothing changed (the
  nightly case: only differences are written), against the baseline ``INSERT INTO copy
  SELECT * FROM renewals_contract`` (a plain copy of the contracts table: the least a
  set-based pass over the source rows costs);
- ``arr_ledger_account_update()`` for ``--singles`` accounts against reading the
  account's contracts and amendments with the ORM;
- ``ledger_retention()`` for a quarter (company, and by CSM) against ``COUNT(*)`` of the
  movements table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/arr_ledger.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    ForeignData,
    check_only_bench_accounts,
    database_info,
    empty_tables,
    environment,
    render_table,
    setup,
    vacuum_analyze,
    write_results,
)

PREFIX = "BLEDGER"
BATCH = 5000
TODAY = date(2026, 1, 15)


def _yearly(start: date) -> tuple[date, date]:
    from renewals.periods import add_months

    return start, add_months(start, 12) - timedelta(days=1)


def generate(accounts: int, seed: int) -> None:
    """The bench's accounts, contracts and amendments (bulk inserts, no history rows)."""
    from accounts.models import Account
    from renewals.models import AmendmentKind, Contract, ContractAmendment

    rng = random.Random(seed)
    Account.objects.bulk_create(
        [Account(name=f"Ledger {n}", external_id=f"{PREFIX}-{n:06d}", status="active") for n in range(accounts)],
        batch_size=BATCH,
    )
    ids = list(Account.objects.filter(external_id__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
    contracts: list[Contract] = []
    for account_id in ids:
        start = date(2023, rng.randint(1, 12), 1)
        arr = Decimal(rng.choice([5, 12, 20, 48, 100, 250])) * 1000
        while start < date(2026, 1, 1):
            begin, end = _yearly(start)
            contracts.append(Contract(account_id=account_id, start_date=begin, end_date=end, arr=arr, status="ended"))
            roll = rng.random()
            if roll < 0.125:
                if rng.random() > 1 / 3:
                    break
                start = date(end.year + (end.month + 3) // 12, (end.month + 3) % 12 + 1, 1)  # back months later
            else:
                start = end + timedelta(days=1)
            arr = (arr * Decimal(rng.choice(["0.9", "1", "1", "1.1", "1.2"]))).quantize(Decimal("1"))
    Contract.objects.bulk_create(contracts, batch_size=BATCH)
    amendments: list[ContractAmendment] = []
    for contract in Contract.objects.filter(account__external_id__startswith=PREFIX).only(
        "pk", "account_id", "start_date", "arr"
    ):
        roll = rng.random()
        if roll < 0.33:
            delta, kind = Decimal(rng.choice([1, 2, 5, 10])) * 1000, AmendmentKind.EXPANSION
        elif roll < 0.43:
            delta, kind = -(contract.arr * Decimal("0.2")).quantize(Decimal("1")), AmendmentKind.CONTRACTION
        else:
            continue
        on = contract.start_date + timedelta(days=rng.randint(30, 330))
        amendments.append(
            ContractAmendment(
                account_id=contract.account_id,
                contract_id=contract.pk,
                effective_date=on,
                arr_delta=delta,
                kind=kind,
                reason="bench" if delta < 0 else "",
            )
        )
    ContractAmendment.objects.bulk_create(amendments, batch_size=BATCH)
    vacuum_analyze(Account, Contract, ContractAmendment)


def _seconds(function: Any) -> float:
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def _copy_contracts() -> None:
    from django.db import connection, transaction

    from renewals.models import Contract

    table = Contract._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_contract_copy")
        cursor.execute(f"CREATE TABLE bench_contract_copy AS SELECT * FROM {table} WHERE false")  # noqa: S608
        cursor.execute(f"INSERT INTO bench_contract_copy SELECT * FROM {table}")  # noqa: S608
        cursor.execute("DROP TABLE bench_contract_copy")


def _read_account(account_id: int) -> None:
    from renewals.models import Contract, ContractAmendment

    list(Contract.objects.filter(account_id=account_id))
    list(ContractAmendment.objects.filter(account_id=account_id))


def _count_movements() -> None:
    from renewals.models import ArrMovement

    ArrMovement.objects.count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="timings of the rebuild and its baseline (3)")
    parser.add_argument("--singles", type=int, default=20, help="accounts updated one by one (20)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_ledger.sqlite3)")
    parser.add_argument("--no-json", action="store_true")
    args = parser.parse_args()
    if setup(args.database_url, name="ledger") is None:
        return 1
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from renewals.ledger import arr_ledger_account_update, arr_ledger_rebuild
    from renewals.ledger_kpis import ledger_retention
    from renewals.models import ArrMovement, Contract, ContractAmendment

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if Account.objects.count() != args.accounts:
        print(f"Generating {args.accounts:,} accounts …", flush=True)
        ArrMovement.objects.all().delete()
        ContractAmendment.objects.all().delete()
        Contract.objects.all().delete()
        Account.objects.all().delete()
        generated = _seconds(lambda: generate(args.accounts, args.seed))
        print(f"  generated in {generated:.1f} s")
    counts = {
        "accounts": Account.objects.count(),
        "contracts": Contract.objects.count(),
        "amendments": ContractAmendment.objects.count(),
    }
    print(", ".join(f"{value:,} {name}" for name, value in counts.items()))

    rebuild, nightly, copy = [], [], []
    for _round in range(args.repeat):
        copy.append(_seconds(_copy_contracts))
        empty_tables(ArrMovement)
        rebuild.append(_seconds(lambda: arr_ledger_rebuild(today=TODAY)))
        vacuum_analyze(ArrMovement)
        nightly.append(_seconds(lambda: arr_ledger_rebuild(today=TODAY)))
    counts["movements"] = ArrMovement.objects.count()

    sample = random.Random(args.seed).sample(sorted(counts_ids()), args.singles)
    single = [
        _seconds(lambda account_id=account_id: arr_ledger_account_update(account_id=account_id, today=TODAY))
        for account_id in sample
    ]
    read = [_seconds(lambda account_id=account_id: _read_account(account_id)) for account_id in sample]

    admin, _created = get_user_model().objects.get_or_create(username="bench.ledger.admin", is_superuser=True)
    quarter = (date(2025, 4, 1), date(2025, 6, 30))
    report: dict[str, list[float]] = {"company": [], "csm": [], "count": []}
    for _round in range(args.repeat):
        report["count"].append(_seconds(_count_movements))
        for group_by in ("company", "csm"):
            report[group_by].append(
                _seconds(
                    lambda group_by=group_by: ledger_retention(
                        user=admin, start=quarter[0], end=quarter[1], group_by=group_by
                    )
                )
            )

    def ratio(figure: list[float], baseline: list[float]) -> str:
        return f"{statistics.median(figure) / statistics.median(baseline):.1f}×"

    def row(name: str, figure: list[float], baseline_name: str, baseline: list[float], unit: str) -> tuple[str, ...]:
        scale, suffix = (1000, "ms") if unit == "ms" else (1, "s")
        shown = [f"{statistics.median(values) * scale:.2f} {suffix}" for values in (figure, baseline)]
        return (name, shown[0], baseline_name, shown[1], ratio(figure, baseline))

    count = report["count"]
    rows = [
        row("full rebuild, empty table", rebuild, "copy of the contracts table", copy, "s"),
        row("full rebuild, nothing changed", nightly, "copy of the contracts table", copy, "s"),
        row("one account", single, "ORM read of its rows", read, "ms"),
        row("rates, company", report["company"], "COUNT(*) of movements", count, "s"),
        row("rates, by CSM", report["csm"], "COUNT(*) of movements", count, "s"),
    ]
    print(f"{counts['movements']:,} movements; goal: full rebuild ≤ 30 s")
    print(render_table(["measured", "median", "baseline", "median", "ratio"], rows))
    if not args.no_json:
        path = write_results(
            "arr_ledger",
            {
                "database": database_info(),
                "environment": environment(),
                "data": counts,
                "rebuild_s": rebuild,
                "rebuild_unchanged_s": nightly,
                "copy_contracts_s": copy,
                "account_update_s": single,
                "account_read_s": read,
                "rates_s": report,
            },
        )
        print(f"Results: {path}")
    return 0


def counts_ids() -> list[int]:
    from accounts.models import Account

    return list(Account.objects.values_list("pk", flat=True))


if __name__ == "__main__":
    raise SystemExit(main())
