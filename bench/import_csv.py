"""CSV import throughput: accounts, then stakeholders, then both files again (all unchanged).

    .venv/bin/python bench/import_csv.py [--accounts 50000] [--stakeholders 200000] [--seed 42] \
        [--database-url URL] [--no-json]

Generates two deterministic CSV files in memory (the columns ``accounts.imports`` reads;
industries, ICP fit and status partly as English or Chinese labels, as CRM exports
write them; owners by username or email; ARR with thousands separators), creates an
admin with ``capacity.services.person_create(role="admin", password=…)`` and 25 CSMs
to own the accounts, and times ``accounts.imports.csv_import(actor=admin, kind=…,
data=…)`` for: ``accounts`` (all created), ``stakeholders`` (all created), and the
re-import of each file (every row unchanged). Every account, stakeholder, history row
and import run is deleted at the start (only this bench's data may be in the database).
Prints a table and writes ``bench/results/import_csv/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/import_csv.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    BrokerSpy,
    ForeignData,
    check_only_bench_accounts,
    database_info,
    empty_tables,
    environment,
    measuring_settings,
    now_iso,
    render_table,
    setup,
    write_results,
)

PREFIX = "BIMPORT"  # external ids: BIMPORT42-000001 …
ADMIN_USERNAME = "bench.import.admin"
CSM_PREFIX = "bench.import.csm."
CSMS = 25
TODAY = date(2025, 7, 1)
TITLES = ["CEO", "CFO", "VP Sales", "Head of Operations", "IT Manager", "Sales Director", "Analyst", "Admin"]
DEPARTMENTS = ["Management", "Finance", "Sales", "Operations", "IT", "Marketing"]


@dataclass
class Phase:
    key: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: int
    seconds: float
    rows_per_s: float
    csv_mb: float


def accounts_csv(rng: random.Random, count: int, prefix: str, owners: Sequence[tuple[str, str]]) -> bytes:
    from django.utils.translation import override

    from accounts.demo import company_name, random_arr
    from accounts.models import AccountStatus, IcpFit, Industry

    def label(choices: Any, value: str, roll: float) -> str:
        if roll < 0.6:
            return value
        with override("en" if roll < 0.8 else "zh-hans"):
            return str(choices(value).label)

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "name", "industry", "arr", "icp_fit", "owner", "go_live_date", "status"])
    industries = list(Industry.values)
    for number in range(1, count + 1):
        industry = rng.choice(industries)
        owner = rng.choice(owners)
        status = rng.choices(AccountStatus.values, weights=[10, 84, 6])[0]
        writer.writerow(
            [
                f"{prefix}{number:06d}",
                company_name(rng, industry),
                label(Industry, industry, rng.random()),
                f"{random_arr(rng):,.2f}",
                label(IcpFit, rng.choice(IcpFit.values), rng.random()),
                "" if rng.random() < 0.03 else owner[0] if rng.random() < 0.5 else owner[1],
                (TODAY - timedelta(days=rng.randint(0, 3 * 365))).isoformat() if rng.random() < 0.9 else "",
                label(AccountStatus, status, rng.random()),
            ]
        )
    return out.getvalue().encode("utf-8")


def stakeholders_csv(rng: random.Random, count: int, accounts: int, prefix: str) -> bytes:
    from accounts.demo import EN_FIRST, EN_LAST, ZH_GIVEN, ZH_SURNAMES
    from accounts.models import KeyPersonLevel, RelationshipStage, Tier

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["account_external_id", "name", "email", "title", "department", "phone", "tier", "key_level", "relationship"]
    )
    names: dict[int, set[str]] = {}
    for number in range(count):
        account = number % accounts + 1  # spread evenly: count / accounts people each
        chinese = rng.random() < 0.5
        name = ""
        # Unique per account: people without an email are matched by name.
        while not name or name in names.setdefault(account, set()):
            if chinese:
                name = rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN)
            else:
                name = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
        names[account].add(name)
        writer.writerow(
            [
                f"{prefix}{account:06d}",
                name,
                "" if rng.random() < 0.1 else f"p{number}@c{account}.example.com",
                rng.choice(TITLES),
                rng.choice(DEPARTMENTS),
                f"+86 139 {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}",
                rng.choice(Tier.values),
                rng.choice(KeyPersonLevel.values),
                rng.choice(RelationshipStage.values),
            ]
        )
    return out.getvalue().encode("utf-8")


def reset() -> None:
    """Every account, stakeholder, their history, import runs and the bench users."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from accounts.models import Account, ImportRun, Stakeholder

    empty_tables(ImportRun)
    if connection.vendor == "postgresql":
        # Accounts and every table pointing at them (TRUNCATE … CASCADE): all bench data.
        empty_tables(Account, cascade=True)
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        Stakeholder.objects.all().delete()
        Account.objects.all().delete()
    empty_tables(Account.history.model, Stakeholder.history.model)
    get_user_model().objects.filter(username__startswith="bench.import.").delete()


def people() -> tuple[Any, list[tuple[str, str]]]:
    """The admin (with a password, unused: person_create wants one for a real login) and the CSMs."""
    from org.models import Role
    from org.services import person_create

    admin = person_create(
        username=ADMIN_USERNAME, role=Role.ADMIN, password=secrets.token_urlsafe(16), first_name="Bench"
    )
    owners = []
    for n in range(1, CSMS + 1):
        person_create(username=f"{CSM_PREFIX}{n:02d}", role=Role.CSM, email=f"csm{n:02d}@import.bench.example.com")
        owners.append((f"{CSM_PREFIX}{n:02d}", f"csm{n:02d}@import.bench.example.com"))
    return admin, owners


def run_import(admin: Any, key: str, kind: str, data: bytes) -> Phase:
    from accounts.imports import csv_import

    started = time.perf_counter()
    result, _run = csv_import(actor=admin, kind=kind, data=data, filename=f"{key}.csv")
    seconds = time.perf_counter() - started
    if result.errors:
        raise RuntimeError(f"{key}: {len(result.errors)} errors, first {result.errors[:3]}")
    return Phase(
        key=key,
        rows=result.total_rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors=len(result.errors),
        seconds=round(seconds, 3),
        rows_per_s=round(result.total_rows / seconds, 1),
        csv_mb=round(len(data) / 1e6, 2),
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=50_000, help="rows of the accounts file (50000)")
    parser.add_argument("--stakeholders", type=int, default=200_000, help="rows of the stakeholders file (200000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_import.sqlite3)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/import_csv/<timestamp>.json")
    args = parser.parse_args(argv)
    if not 1 <= args.accounts <= 200_000 or not 0 <= args.stakeholders <= 200_000:
        parser.error("rows per file: 1 to 200,000 (accounts.imports.MAX_ROWS)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    database = setup(args.database_url, name="import")
    if database is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    prefix = f"{PREFIX}{args.seed}-"
    reset()
    admin, owners = people()
    rng = random.Random(args.seed)
    mark = time.perf_counter()
    accounts_data = accounts_csv(rng, args.accounts, prefix, owners)
    stakeholders_data = stakeholders_csv(rng, args.stakeholders, args.accounts, prefix) if args.stakeholders else b""
    build_s = time.perf_counter() - mark
    db = database_info()
    print(
        f"Engine: {db['version']}; {args.accounts:,} accounts ({len(accounts_data) / 1e6:.1f} MB), "
        f"{args.stakeholders:,} stakeholders ({len(stakeholders_data) / 1e6:.1f} MB), built in {build_s:.1f} s"
    )
    phases: list[Phase] = []
    with measuring_settings(), BrokerSpy() as spy:
        plan = [("accounts", "accounts", accounts_data)]
        if stakeholders_data:
            plan.append(("stakeholders", "stakeholders", stakeholders_data))
        plan += [(f"{key}_again", kind, data) for key, kind, data in plan]
        for key, kind, data in plan:
            phases.append(run_import(admin, key, kind, data))
            phase = phases[-1]
            print(f"  {key:<19} {phase.rows:>8,} rows in {phase.seconds:7.2f} s: {phase.rows_per_s:>9,.0f}/s")
    for phase in phases:
        if phase.key.endswith("_again") and phase.unchanged != phase.rows:
            raise RuntimeError(f"{phase.key}: {phase.unchanged} of {phase.rows} rows unchanged")
        if not phase.key.endswith("_again") and phase.created != phase.rows:
            raise RuntimeError(f"{phase.key}: {phase.created} of {phase.rows} rows created")
    total_s = time.perf_counter() - started
    print()
    print(f"CSV import bench: {db['version']}, {args.accounts:,} accounts, {args.stakeholders:,} stakeholders")
    print(
        render_table(
            ("import", "rows", "created", "unchanged", "seconds", "rows/s", "MB"),
            [(p.key, p.rows, p.created, p.unchanged, p.seconds, p.rows_per_s, p.csv_mb) for p in phases],
        )
    )
    print(f"Total run time {total_s:.1f} s; {sum(spy.published.values())} Celery messages published")
    if not args.no_json:
        path = write_results(
            "import_csv",
            {
                "benchmark": "import_csv",
                "created_at": now_iso(),
                "database": {**db, "url": database.display},
                "dataset": {"accounts": args.accounts, "stakeholders": args.stakeholders, "seed": args.seed},
                "environment": environment(),
                "phases": [asdict(phase) for phase in phases],
                "tasks_published": spy.published,
                "run_s": round(total_s, 1),
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
