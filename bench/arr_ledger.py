"""The ARR ledger: full rebuild and one account's update, against plain copies and the
previous code in the same run.

    createdb -h 127.0.0.1 -U postgres hourglass_bench_ledger
    .venv/bin/python bench/arr_ledger.py --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_ledger
    .venv/bin/python bench/arr_ledger.py [--accounts 100000] [--repeat 3] [--singles 20] [--database-url URL]
        [--before REV | --before ""]

Data (its own, deterministic, ``BLEDGER`` accounts): ``--accounts`` accounts, each with
yearly contracts from a start month in 2023 over three years (about 1 in 8 does not
renew after a year, a third of those come back a few months later), a third of the
contracts with a mid-term expansion and one in ten with a contraction. Measured, each
``--repeat`` times, alternating with its baselines:

- ``arr_ledger_rebuild()`` (movements, quarter rows and totals) into empty tables, and
  again with nothing changed (the nightly case), against the baseline ``INSERT INTO
  copy SELECT * FROM renewals_contract`` (a plain copy of the contracts table: the least
  a set-based pass over the source rows costs) and against the same rebuild by the
  code of commit ``--before`` (default: the last one before the bulk rebuild; its
  ``renewals/ledger*.py`` loaded from git into a package of their own), old and new
  taking turns to go first; then the time of each SQL statement of one new rebuild
  (and of one old one);
- ``arr_ledger_account_update()`` for ``--singles`` accounts against reading the
  account's contracts and amendments with the ORM (and the ``--before`` code's update);
- ``ledger_retention()`` for a quarter (company, and by CSM) against ``COUNT(*)`` of the
  movements table.

The machine's load average is printed with the figures: on a shared machine, compare
the ratios of one run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
ROOT = Path(__file__).resolve().parent.parent
# The last commit before the quarter rows were derived and written in bulk.
BEFORE = "3901ab1"
LEDGER_MODULES = ("ledger", "ledger_quarters", "ledger_sql")


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


def load_before(rev: str, folder: Path) -> Any:
    """The ``renewals/ledger*.py`` of commit ``rev`` as package ``ledger_before`` (its
    imports of the app's models pointed at ``renewals``; its Celery tasks and signal
    handlers left out, so nothing of the current app is replaced)."""
    package = folder / "ledger_before"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name in LEDGER_MODULES:
        text = subprocess.run(
            ["git", "show", f"{rev}:renewals/{name}.py"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        text = text.replace("from .models import", "from renewals.models import")
        text = text.replace("from .ledger_models import", "from renewals.ledger_models import")
        if name == "ledger":
            text = text.split("\ndef on_account_deleting", 1)[0]
        (package / f"{name}.py").write_text(text, encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module("ledger_before.ledger")


@contextmanager
def statement_times(into: list[tuple[float, str]]) -> Iterator[None]:
    """Every SQL statement run inside, with its time, appended to ``into``."""
    from django.db import connection

    def timed_execute(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            into.append((time.perf_counter() - began, " ".join(sql.split())))

    with connection.execute_wrapper(timed_execute):
        yield


def breakdown(times: list[tuple[float, str]], total: float) -> str:
    """The statements of one rebuild, the slow ones each on a line, the rest summed."""
    shown = [(f"{seconds:.2f} s", sql[:96]) for seconds, sql in times if seconds >= 0.05]
    rest = [seconds for seconds, _sql in times if seconds < 0.05]
    shown.append((f"{sum(rest):.2f} s", f"{len(rest)} statements under 0.05 s each"))
    shown.append((f"{total:.2f} s", "the rebuild, from the caller"))
    return render_table(["time", "statement"], shown)


def _empty_ledger() -> None:
    """TRUNCATE, not analysed: as after a deployment's first migration, the planner does
    not know yet how big the tables were (analysed empty, the previous code's insert of
    the difference turns quadratic: a nested-loop probe of the growing table per row)."""
    from renewals.models import ArrMovement, ArrQuarter, ArrQuarterTotal

    empty_tables(ArrMovement, ArrQuarter, ArrQuarterTotal)


def _settle() -> None:
    from renewals.models import ArrMovement, ArrQuarter, ArrQuarterTotal

    vacuum_analyze(ArrMovement, ArrQuarter, ArrQuarterTotal)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _read_account(account_id: int) -> None:
    from renewals.models import Contract, ContractAmendment

    list(Contract.objects.filter(account_id=account_id))
    list(ContractAmendment.objects.filter(account_id=account_id))


def _count_movements() -> None:
    from renewals.models import ArrMovement

    ArrMovement.objects.count()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="timings of the rebuild and its baseline (3)")
    parser.add_argument("--singles", type=int, default=20, help="accounts updated one by one (20)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--before", default=BEFORE, help=f"the previous code's commit ({BEFORE}; '' for none)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_ledger.sqlite3)")
    parser.add_argument("--no-json", action="store_true")
    return parser.parse_args()


def _data(args: argparse.Namespace) -> dict[str, int] | None:
    from accounts.models import Account
    from renewals.models import ArrMovement, ArrQuarter, ArrQuarterTotal, Contract, ContractAmendment

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if Account.objects.count() != args.accounts:
        print(f"Generating {args.accounts:,} accounts …", flush=True)
        empty_tables(ArrMovement, ArrQuarter, ArrQuarterTotal)
        ContractAmendment.objects.all().delete()
        Contract.objects.all().delete()
        Account.objects.all().delete()
        generated = _seconds(lambda: generate(args.accounts, args.seed))
        print(f"  generated in {generated:.1f} s")
    return {
        "accounts": Account.objects.count(),
        "contracts": Contract.objects.count(),
        "amendments": ContractAmendment.objects.count(),
    }


Rebuild = Callable[..., Any]


def _rebuilds(versions: dict[str, Rebuild], repeat: int) -> tuple[dict[str, dict[str, list[float]]], list[float]]:
    """Each version's rebuild into empty tables and again unchanged, ``repeat`` times,
    the versions taking turns to go first; the contracts copy once per round."""
    figures: dict[str, dict[str, list[float]]] = {name: {"empty": [], "unchanged": []} for name in versions}
    copy: list[float] = []
    names = list(versions)
    for round_number in range(repeat):
        copy.append(_seconds(_copy_contracts))
        turn = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in turn:
            _empty_ledger()
            figures[name]["empty"].append(_seconds(lambda name=name: versions[name](today=TODAY)))
            _settle()
            figures[name]["unchanged"].append(_seconds(lambda name=name: versions[name](today=TODAY)))
            _settle()
        print(
            f"  round {round_number + 1}: "
            + ", ".join(
                f"{name} {figures[name]['empty'][-1]:.1f}/{figures[name]['unchanged'][-1]:.1f} s" for name in names
            )
            + f", copy {copy[-1]:.2f} s; load {_load()}",
            flush=True,
        )
    return figures, copy


def _statements(rebuild: Rebuild) -> tuple[list[tuple[float, str]], float]:
    _empty_ledger()
    times: list[tuple[float, str]] = []
    with statement_times(times):
        total = _seconds(lambda: rebuild(today=TODAY))
    _settle()
    return times, total


def main() -> int:
    args = _arguments()
    if setup(args.database_url, name="ledger") is None:
        return 1
    from django.contrib.auth import get_user_model

    from renewals.ledger import arr_ledger_account_update, arr_ledger_rebuild
    from renewals.ledger_kpis import ledger_retention
    from renewals.models import ArrMovement, ArrQuarter

    counts = _data(args)
    if counts is None:
        return 1
    print(
        ", ".join(f"{value:,} {name}" for name, value in counts.items()) + f"; load {_load()} on {os.cpu_count()} cores"
    )
    versions: dict[str, Rebuild] = {"new": arr_ledger_rebuild}
    updates: dict[str, Rebuild] = {"new": arr_ledger_account_update}
    with tempfile.TemporaryDirectory() as folder:
        if args.before:
            before = load_before(args.before, Path(folder))
            versions["before"], updates["before"] = before.arr_ledger_rebuild, before.arr_ledger_account_update
        figures, copy = _rebuilds(versions, args.repeat)
        statements = {name: _statements(rebuild) for name, rebuild in versions.items()}
        arr_ledger_rebuild(today=TODAY)
        counts["movements"], counts["quarter_rows"] = ArrMovement.objects.count(), ArrQuarter.objects.count()
        sample = random.Random(args.seed).sample(sorted(counts_ids()), args.singles)
        single: dict[str, list[float]] = {name: [] for name in updates}
        read: list[float] = []
        for account_id in sample:
            for name, update in updates.items():

                def one(update: Rebuild = update, account_id: int = account_id) -> None:
                    update(account_id=account_id, today=TODAY)

                single[name].append(_seconds(one))
            read.append(_seconds(lambda account_id=account_id: _read_account(account_id)))
    arr_ledger_rebuild(today=TODAY)

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
        row("full rebuild, empty tables", figures["new"]["empty"], "copy of the contracts table", copy, "s"),
        row("full rebuild, nothing changed", figures["new"]["unchanged"], "copy of the contracts table", copy, "s"),
    ]
    if "before" in figures:
        rows += [
            row(
                f"full rebuild, {case.replace('_', ' ')}",
                figures["new"][key],
                f"{args.before}'s",
                figures["before"][key],
                "s",
            )
            for key, case in (("empty", "empty tables"), ("unchanged", "nothing changed"))
        ]
        rows.append(
            row(f"{args.before}'s rebuild, empty", figures["before"]["empty"], "copy of the contracts table", copy, "s")
        )
    rows.append(row("one account", single["new"], "ORM read of its rows", read, "ms"))
    if "before" in single:
        rows.append(row("one account", single["new"], f"{args.before}'s", single["before"], "ms"))
    rows += [
        row("rates, company", report["company"], "COUNT(*) of movements", count, "s"),
        row("rates, by CSM", report["csm"], "COUNT(*) of movements", count, "s"),
    ]
    print(f"{counts['movements']:,} movements, {counts['quarter_rows']:,} quarter rows; goal: full rebuild ≤ 30 s")
    print(render_table(["measured", "median", "baseline", "median", "ratio"], rows))
    for name, (times, total) in statements.items():
        print(f"\nStatements of one rebuild into empty tables ({name} code):")
        print(breakdown(times, total))
    print(f"\nload average at the end: {_load()} on {os.cpu_count()} cores")
    if not args.no_json:
        path = write_results(
            "arr_ledger",
            {
                "database": database_info(),
                "environment": {**environment(), "load_end": os.getloadavg()},
                "data": counts,
                "before": args.before,
                "rebuild_s": figures,
                "copy_contracts_s": copy,
                "statements": {
                    name: [(seconds, sql[:200]) for seconds, sql in times] for name, (times, _t) in statements.items()
                },
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
