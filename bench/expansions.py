"""The expansion pipeline (page, CSV, API list and summary) at scale, against a trivial view.

    createdb -h 127.0.0.1 -U postgres hourglass_bench_expansions
    .venv/bin/python bench/expansions.py --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_expansions
    .venv/bin/python bench/expansions.py [--accounts 20000] [--per-account 5] [--repeat 10] [--database-url URL]

Data (its own, deterministic, ``BEXP`` accounts; generated once, reused while the
sizes match): 25 CSMs in 5 teams with their managers, 5 sales reps, an admin;
``--accounts`` accounts (one in five with a sales rep), a yearly contract each from a
start over the last two years, ``--per-account`` opportunities each over every stage,
with expected closes over two years and an owner by the rule.

Measured in production mode (``DEBUG`` off, hashed static files, cached templates),
in-process with Django's test client, ``--repeat`` requests after 2 warm-ups,
alternating with the trivial view (the login page) so both see the same machine load,
as the admin (every opportunity) and as one CSM (their book). Prints p50, the ratio to
the trivial view and the queries per request.
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

if __package__ in (None, ""):  # run as ``python bench/expansions.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import ForeignData, check_only_bench_accounts, render_table, setup, vacuum_analyze

PREFIX = "BEXP"
BATCH = 5000
TODAY = date(2026, 6, 15)
ADMIN, CSM = "bench.exp.admin", "bench.exp.csm.01"
PAGES = [
    "/renewals/expansions/",
    "/renewals/expansions/?stage=identified&stage=qualified&stage=proposal&ordering=-weighted",
    "/renewals/expansions/?quarter=2026-Q3&segment=smb",
    "/renewals/expansions/export.csv?quarter=2026-Q3",
    "/api/v1/expansions/",
    "/api/v1/expansions/summary/",
]


def generate(accounts: int, per_account: int, seed: int) -> None:
    from accounts.models import Account
    from org.models import Role
    from org.services import person_create, team_create
    from renewals.expansions import expansion_owner_decision
    from renewals.models import Contract, ExpansionOpportunity, ExpansionStage
    from renewals.periods import add_months

    rng = random.Random(seed)
    person_create(username=ADMIN, role=Role.ADMIN, first_name="Bench", last_name="Admin")
    csms = []
    for number in range(1, 6):
        manager = person_create(username=f"bench.exp.manager.{number}", role=Role.MANAGER, last_name=f"M{number}")
        team = team_create(name=f"Bench expansion team {number}", lead=manager)
        for member in range(5):
            index = (number - 1) * 5 + member + 1
            csms.append(
                person_create(username=f"bench.exp.csm.{index:02d}", role=Role.CSM, last_name=f"{index:02d}", team=team)
            )
    reps = [person_create(username=f"bench.exp.sales.{n}", role=Role.SALES, last_name=f"S{n}") for n in range(1, 6)]
    rows = [
        Account(
            name=f"Bench expansion account {n:06d}",
            external_id=f"{PREFIX}-{n:06d}",
            arr=Decimal(rng.choice([8_000, 30_000, 120_000, 600_000])),
            owner=csms[n % len(csms)],
            sales_owner=reps[n % len(reps)] if n % 5 == 0 else None,
        )
        for n in range(accounts)
    ]
    Account.objects.bulk_create(rows, batch_size=BATCH)
    created = list(Account.objects.filter(external_id__startswith=PREFIX).order_by("pk"))
    contracts = []
    for account in created:
        start = TODAY - timedelta(days=rng.randrange(0, 730))
        contracts.append(
            Contract(
                account=account, start_date=start, end_date=add_months(start, 12) - timedelta(days=1), arr=account.arr
            )
        )
    Contract.objects.bulk_create(contracts, batch_size=BATCH)
    stages = [*ExpansionStage.values, ExpansionStage.IDENTIFIED, ExpansionStage.QUALIFIED]
    batch: list[ExpansionOpportunity] = []
    for account in created:
        decision = expansion_owner_decision(account=account, on=TODAY)
        for index in range(per_account):
            stage = rng.choice(stages)
            batch.append(
                ExpansionOpportunity(
                    account=account,
                    title=f"Opportunity {index + 1}",
                    kind=rng.choice(["upsell", "cross_sell"]),
                    amount=Decimal(rng.randrange(1, 60) * 1000),
                    stage=stage,
                    probability=rng.choice([None, None, 20, 50, 80]) if stage in ("identified", "qualified") else None,
                    expected_close=None
                    if index == 0 and rng.random() < 0.2
                    else TODAY + timedelta(days=rng.randrange(-365, 365)),
                    owner_id=decision.owner_id,
                    owner_role=decision.role,
                    owner_rule=decision.rule,
                    owner_rule_months=decision.months,
                    owner_rule_signed_on=decision.signed_on,
                )
            )
        if len(batch) >= BATCH:
            ExpansionOpportunity.objects.bulk_create(batch)
            batch = []
    ExpansionOpportunity.objects.bulk_create(batch)
    vacuum_analyze(Account, Contract, ExpansionOpportunity)


def measure(client: Any, baseline: Any, url: str, repeat: int) -> tuple[float, float, int]:
    from django.db import connection

    for _ in range(2):
        assert client.get(url).status_code == 200, url
        assert baseline.get("/login/").status_code == 200
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    page, plain = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        baseline.get("/login/")
        plain.append(time.perf_counter() - began)
        began = time.perf_counter()
        client.get(url)
        page.append(time.perf_counter() - began)
    return statistics.median(page) * 1000, statistics.median(plain) * 1000, len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--per-account", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_expansions.sqlite3)")
    args = parser.parse_args()
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "expansion-bench-only-not-a-secret-" + "x" * 40)
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["HOURGLASS_TRUST_PROXY_HEADERS"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    if setup(args.database_url, name="expansions") is None:
        return 1
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from accounts.models import Account
    from renewals.models import ExpansionOpportunity

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if Account.objects.count() != args.accounts:
        if Account.objects.exists():
            print("error: the data set has another size; use a fresh database", file=sys.stderr)
            return 1
        print(f"Generating {args.accounts:,} accounts × {args.per_account} opportunities …", flush=True)
        began = time.perf_counter()
        generate(args.accounts, args.per_account, args.seed)
        print(f"  generated in {time.perf_counter() - began:.1f} s", flush=True)
    print(f"{Account.objects.count():,} accounts, {ExpansionOpportunity.objects.count():,} opportunities")
    call_command("collectstatic", interactive=False, verbosity=0)
    users = get_user_model().objects
    rows = []
    with override_settings(ALLOWED_HOSTS=["*"]):
        baseline = Client()
        for username in (ADMIN, CSM):
            client = Client()
            client.force_login(users.get(username=username))
            for url in PAGES:
                page, plain, queries = measure(client, baseline, url, args.repeat)
                rows.append([username, url, f"{page:.0f}", f"{page / plain:.1f}x", queries])
    print(render_table(["user", "request", "p50 ms", "vs trivial", "queries"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
