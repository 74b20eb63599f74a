"""The renewals KPI page at 100,000 accounts × 3 years, against a trivial view in the same run.

    createdb -h 127.0.0.1 -U postgres hourglass_bench_kpi
    .venv/bin/python bench/kpi_page.py --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_kpi
    .venv/bin/python bench/kpi_page.py [--accounts 100000] [--repeat 10] [--groups company,csm] [--database-url URL]

Data (its own, deterministic, ``BKPI`` accounts; generated once, reused while
``--accounts`` matches): 25 CSMs in 5 teams, each led by a manager, and an admin;
``--accounts`` accounts from ``accounts.demo.generate_accounts`` (owners by industry,
go-live dates over three years, every segment), one history row each (as a real
account has); yearly contracts from a start month in 2023 over three years (1 in 8
does not renew, a third of those come back), a third with a mid-term expansion, one in
ten with a contraction; seats on half of the accounts; daily rollups on the days that
the report reads: 70 % of the live accounts are used on 6 days of each quarter's last
30 days, and 80 % of the accounts that went live in the period on 4 of their first 30
days. The ARR ledger is rebuilt from the contracts; the KPI facts and cells
(``renewals.kpi_facts``) are rebuilt when missing (or with ``--rebuild-facts``), timed,
and one account's incremental refresh is timed.

Measured in production mode (``DEBUG`` off, hashed static files, cached templates),
in-process with Django's test client, ``--repeat`` requests after 2 warm-ups, each
scenario alternating with the trivial view (the login page, no query) so both see the
same machine load: ``GET /renewals/kpis/`` for the last four full quarters, by each
``--groups`` grouping, as the admin (every account), a manager (their team's five
books) and one CSM (their book).
Prints p50 and the ratio to the trivial view's p50, and the queries per request.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/kpi_page.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    ForeignData,
    check_only_bench_accounts,
    database_info,
    environment,
    render_table,
    setup,
    vacuum_analyze,
    write_results,
)

PREFIX = "BKPI"
BATCH = 5000
TODAY = date(2026, 1, 15)
QUARTERS = [date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)]
ADMIN, MANAGER, CSM = "bench.kpi.admin", "bench.kpi.manager.1", "bench.kpi.csm.01"


def _people() -> tuple[dict[str, list[Any]], list[Any]]:
    from accounts.models import Industry
    from org.models import Role
    from org.services import person_create, team_create

    person_create(username=ADMIN, role=Role.ADMIN, first_name="Bench", last_name="Admin")
    csms: list[Any] = []
    by_industry: dict[str, list[Any]] = {}
    industries = list(Industry.values)
    for number in range(1, 6):
        manager = person_create(username=f"bench.kpi.manager.{number}", role=Role.MANAGER, last_name=f"M{number}")
        team = team_create(name=f"Bench KPI team {number}", lead=manager)
        for member in range(5):
            index = (number - 1) * 5 + member
            csm = person_create(
                username=f"bench.kpi.csm.{index + 1:02d}",
                role=Role.CSM,
                first_name="CSM",
                last_name=f"{index + 1:02d}",
                team=team,
            )
            csms.append(csm)
            for industry in (industries[index % len(industries)], industries[(index + 3) % len(industries)]):
                by_industry.setdefault(industry, []).append(csm)
    return by_industry, csms


def _history_rows() -> None:
    """One creation row per account in its history table (set-based), dated 2023-01-01."""
    from django.db import connection

    from accounts.models import Account

    history = Account.history.model
    names = [
        field.column
        for field in history._meta.concrete_fields
        if field.column
        not in ("history_id", "history_date", "history_change_reason", "history_type", "history_user_id")
    ]
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {history._meta.db_table} ({columns}, history_date, history_change_reason, history_type) "  # noqa: S608
            f"SELECT {columns}, %s, NULL, '+' FROM {Account._meta.db_table} WHERE external_id LIKE %s",
            ["2023-01-01T00:00:00+00:00", f"{PREFIX}-%"],
        )


def _contracts(rng: random.Random, ids: list[int]) -> None:
    from renewals.models import AmendmentKind, Contract, ContractAmendment
    from renewals.periods import add_months

    contracts: list[Contract] = []
    for account_id in ids:
        start = date(2023, rng.randint(1, 12), 1)
        arr = Decimal(rng.choice([5, 12, 20, 48, 100, 250])) * 1000
        while start < date(2026, 1, 1):
            end = add_months(start, 12) - timedelta(days=1)
            contracts.append(Contract(account_id=account_id, start_date=start, end_date=end, arr=arr, status="ended"))
            if rng.random() < 0.125:
                if rng.random() > 1 / 3:
                    break
                start = add_months(end + timedelta(days=1), 3)  # back a few months later
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
        amendments.append(
            ContractAmendment(
                account_id=contract.account_id,
                contract_id=contract.pk,
                effective_date=contract.start_date + timedelta(days=rng.randint(30, 330)),
                arr_delta=delta,
                kind=kind,
                reason="bench" if delta < 0 else "",
            )
        )
    ContractAmendment.objects.bulk_create(amendments, batch_size=BATCH)


def _usage(rng: random.Random, accounts: list[tuple[int, date | None]]) -> None:
    from accounts.models import PurchasedProduct
    from health.models import DailyRollup
    from renewals.periods import add_months

    products = [
        PurchasedProduct(account_id=pk, product="Suite", seats=rng.choice([5, 10, 20, 50]))
        for pk, _go_live in accounts
        if rng.random() < 0.5
    ]
    PurchasedProduct.objects.bulk_create(products, batch_size=BATCH)
    seats = {product.account_id: product.seats or 0 for product in products}
    rows: list[DailyRollup] = []

    def flush(force: bool = False) -> None:
        if len(rows) >= 20_000 or (force and rows):
            DailyRollup.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
            rows.clear()

    first = QUARTERS[0]
    for pk, go_live in accounts:
        if go_live is None:
            continue
        days: set[date] = set()
        for quarter in QUARTERS:
            end = add_months(quarter, 3) - timedelta(days=1)
            if go_live <= end and rng.random() < 0.7:
                days.update(end - timedelta(days=rng.randint(0, 29)) for _ in range(6))
        if go_live >= first and rng.random() < 0.8:
            days.update(go_live + timedelta(days=rng.randint(0, 29)) for _ in range(4))
        for day in days:
            users = max(1, int(seats.get(pk, 10) * rng.choice([0.1, 0.3, 0.5, 0.8])))
            rows.append(DailyRollup(account_id=pk, day=day, events=rng.randint(1, 400), active_users=users))
        flush()
    flush(force=True)


def generate(accounts: int, seed: int) -> None:
    from django.db import transaction
    from django.test.utils import override_settings

    from accounts.demo import generate_accounts
    from accounts.models import Account, PurchasedProduct
    from health.models import DailyRollup
    from renewals.models import Contract, ContractAmendment

    rng = random.Random(seed)
    with override_settings(DEBUG=False), transaction.atomic():
        by_industry, csms = _people()
        rows = list(
            generate_accounts(
                rng=rng,
                count=accounts,
                owners_by_industry=by_industry,
                fallback_owners=csms,
                today=TODAY,
                external_id_prefix=PREFIX,
            )
        )
        Account.objects.bulk_create(rows, batch_size=BATCH)
        _history_rows()
        found = list(
            Account.objects.filter(external_id__startswith=PREFIX).order_by("pk").values_list("pk", "go_live_date")
        )
        _contracts(rng, [pk for pk, _go_live in found])
        _usage(rng, found)
    vacuum_analyze(Account, Account.history.model, Contract, ContractAmendment, PurchasedProduct, DailyRollup)


def _measure(
    client: Any, url: str, repeat: int, baseline: Any, trivial: str
) -> tuple[list[float], list[float], int, int]:
    """``repeat`` timings of ``url`` and, interleaved, of the trivial view; queries of one request."""
    from django.db import connection

    for _ in range(2):
        assert client.get(url).status_code == 200, url
        assert baseline.get(trivial).status_code == 200
    # Counted by a wrapper: a request's start resets ``connection.queries_log``.
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    page, plain = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        baseline.get(trivial)
        plain.append(time.perf_counter() - began)
        began = time.perf_counter()
        client.get(url)
        page.append(time.perf_counter() - began)
    return page, plain, len(queries), len(response.content)


def _facts(*, rebuild: bool) -> dict[str, float]:
    """Build the KPI facts when missing (or asked), and time one account's refresh."""
    from accounts.models import Account
    from renewals.kpi_facts.services import kpi_facts_rebuild, kpi_facts_refresh, kpi_state_usable
    from renewals.models import KpiCell, KpiFact

    timings: dict[str, float] = {}
    if rebuild or not kpi_state_usable():
        began = time.perf_counter()
        kpi_facts_rebuild()
        timings["rebuild_s"] = time.perf_counter() - began
        vacuum_analyze(KpiFact, KpiCell)
        print(f"KPI facts rebuilt in {timings['rebuild_s']:.1f} s", flush=True)
    account = Account.objects.filter(external_id__startswith=PREFIX, owner__isnull=False).order_by("pk")[500]
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        kpi_facts_refresh(account_ids=[account.pk])
        runs.append(time.perf_counter() - began)
    timings["refresh_one_s"] = statistics.median(runs)
    print(
        f"{KpiFact.objects.count():,} KPI facts, {KpiCell.objects.count():,} cells; one account's refresh "
        f"p50 {timings['refresh_one_s'] * 1000:.1f} ms",
        flush=True,
    )
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per scenario (10)")
    parser.add_argument(
        "--groups",
        default="company,team,csm,segment,industry,icp_fit",
        help="groupings to time (all six)",
    )
    parser.add_argument("--rebuild-facts", action="store_true", help="rebuild the KPI facts even when built")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_kpi.sqlite3)")
    parser.add_argument("--no-json", action="store_true")
    args = parser.parse_args()
    # Production mode, as bench/profile_page.py runs it.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "kpi-bench-only-not-a-secret-" + "x" * 40)
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["HOURGLASS_TRUST_PROXY_HEADERS"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    if setup(args.database_url, name="kpi") is None:
        return 1
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from accounts.models import Account
    from health.models import DailyRollup
    from renewals.ledger import arr_ledger_rebuild
    from renewals.models import ArrMovement, ArrQuarter, ArrQuarterTotal, Contract

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if Account.objects.count() != args.accounts:
        if Account.objects.exists():
            print("error: the data set has another size; use a fresh database", file=sys.stderr)
            return 1
        print(f"Generating {args.accounts:,} accounts …", flush=True)
        began = time.perf_counter()
        generate(args.accounts, args.seed)
        arr_ledger_rebuild(today=TODAY)
        vacuum_analyze(ArrMovement, ArrQuarter, ArrQuarterTotal)
        print(f"  generated in {time.perf_counter() - began:.1f} s", flush=True)
    counts = {
        "accounts": Account.objects.count(),
        "contracts": Contract.objects.count(),
        "movements": ArrMovement.objects.count(),
        "quarter_rows": ArrQuarter.objects.count(),
        "rollups": DailyRollup.objects.count(),
    }
    print(", ".join(f"{value:,} {name}" for name, value in counts.items()))
    facts = _facts(rebuild=args.rebuild_facts)
    call_command("collectstatic", interactive=False, verbosity=0)

    users = get_user_model().objects
    book = Account.objects.filter(owner__username=CSM).count()
    team_book = Account.objects.filter(owner__cs_profile__team__lead__username=MANAGER).count()
    start, end = QUARTERS[0], date(2025, 12, 31)
    rows, results = [], {}
    with override_settings(ALLOWED_HOSTS=["*"]):
        baseline = Client()
        for username in (ADMIN, MANAGER, CSM):
            client = Client()
            client.force_login(users.get(username=username))
            for group_by in [group for group in args.groups.split(",") if group]:
                url = f"/renewals/kpis/?start={start}&end={end}&group_by={group_by}"
                page, plain, queries, size = _measure(client, url, args.repeat, baseline, "/login/")
                p50, base = statistics.median(page), statistics.median(plain)
                who = {
                    ADMIN: "admin (all accounts)",
                    MANAGER: f"manager ({team_book:,} accounts)",
                    CSM: f"CSM ({book:,} accounts)",
                }[username]
                rows.append(
                    (who, group_by, f"{p50 * 1000:.0f} ms", f"{base * 1000:.1f} ms", f"{p50 / base:.1f}×", queries)
                )
                results[f"{username}:{group_by}"] = {
                    "page_s": page,
                    "login_s": plain,
                    "queries": queries,
                    "bytes": size,
                }
    print(f"GET /renewals/kpis/ {start}..{end}; baseline: GET /login/ in the same run; goal ≤ 15×, ≤ 15 queries")
    print(render_table(["as", "group by", "page p50", "login p50", "ratio", "queries"], rows))
    if not args.no_json:
        path = write_results(
            "kpi_page",
            {
                "database": database_info(),
                "environment": environment(),
                "data": counts,
                "facts": facts,
                "results": results,
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
