"""The capacity team page for 100 CSMs and 50,000 accounts: p50/p95 response time.

    createdb -h 127.0.0.1 -U postgres hourglass_bench_capacity
    .venv/bin/python bench/capacity.py --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_capacity \
        [--csms 100] [--accounts 50000] [--requests 30] [--seed 7] [--reset] [--no-json]

Data (deterministic; generated once with ``bulk_create`` and reused while the arguments
stay the same): ``--csms`` CSMs in teams of 10 (each with a manager) and an admin;
``--accounts`` accounts spread over them (ARR log-uniform ¥5K–¥2M, ten industries,
about 5 % churned, go-live within the last two years); for every account a contract
and its renewal (due within ±12 months; those due before today closed: 85 % renewed),
a health score today, usage for 70 % in the last 30 days (one daily and two feature
rollups), an executive (tier S) stakeholder for half, an NPS answer for 30 %, a won
expansion for 10 % and an open task (a third overdue) for 20 %.

Measured, in-process with Django's test client (no network), DEBUG off:
``admin`` — GET /capacity/ as the admin (every CSM: 100 rows); ``manager`` — as one
team's manager (10 rows); both as served (figures kept per viewer for
``HOURGLASS_TEAM_FIGURES_CACHE_SECONDS``) and ``*_refresh`` recomputed on every request
(``?refresh=1``, the cost of the first view after a change); ``rebalance`` — GET
/capacity/rebalance/ as the admin.
Two warm-up requests, then ``--requests`` timed ones each; SQL query count per request.
Prints a table and writes ``bench/results/capacity/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/capacity.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    ForeignData,
    check_only_bench_accounts,
    database_info,
    empty_tables,
    environment,
    measuring_settings,
    now_iso,
    render_table,
    setup,
    vacuum_analyze,
    write_results,
)

PREFIX = "BCAP"  # external ids: BCAP7-000001 …
USER_PREFIX = "bench.cap."
BATCH = 5000
GOAL_MS = 300


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csms", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--no-json", action="store_true")
    return parser.parse_args(argv)


def _prefix(seed: int) -> str:
    return f"{PREFIX}{seed}-"


def dataset_present(args: argparse.Namespace) -> bool:
    from django.contrib.auth import get_user_model

    from accounts.models import Account

    accounts = Account.objects.filter(external_id__startswith=_prefix(args.seed)).count()
    csms = get_user_model().objects.filter(username__startswith=f"{USER_PREFIX}csm").count()
    return accounts == args.accounts == Account.objects.count() and csms == args.csms


def wipe() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Account
    from org.models import Team

    if connection.vendor == "postgresql":
        empty_tables(Account, cascade=True)
    else:
        Account.objects.all().delete()
    Account.history.all().delete()
    get_user_model().objects.filter(username__startswith=USER_PREFIX).delete()
    Team.objects.filter(name__startswith="Bench ").delete()


def generate(args: argparse.Namespace, today: date) -> dict[str, int]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.models import Account, AccountStatus, Industry, Stakeholder, Tier
    from health.models import Colour, DailyFeatureRollup, DailyRollup, HealthScore, NpsResponse
    from org.models import CsProfile, Role, Team
    from playbooks.models import Task
    from renewals.models import Contract, ExpansionOpportunity, RenewalOpportunity, RenewalStatus

    rng = random.Random(args.seed)
    User = get_user_model()
    admin = User.objects.create(username=f"{USER_PREFIX}admin", is_staff=True, is_superuser=True)
    CsProfile.objects.create(user=admin, role=Role.ADMIN)
    csms: list[Any] = []
    for team_no in range(math.ceil(args.csms / 10)):
        manager = User.objects.create(
            username=f"{USER_PREFIX}mgr{team_no:02d}", first_name="Manager", last_name=str(team_no)
        )
        team = Team.objects.create(name=f"Bench {team_no:02d}", lead=manager)
        CsProfile.objects.create(user=manager, role=Role.MANAGER, team=team)
        for member in range(min(10, args.csms - team_no * 10)):
            csm = User.objects.create(
                username=f"{USER_PREFIX}csm{team_no:02d}{member}", first_name="CSM", last_name=f"{team_no}-{member}"
            )
            industries = rng.sample(list(Industry.values), 2)
            CsProfile.objects.create(user=csm, role=Role.CSM, team=team, industries=industries)
            csms.append(csm)

    prefix = _prefix(args.seed)
    industries = list(Industry.values)
    accounts = [
        Account(
            name=f"Bench capacity {i:06d}",
            external_id=f"{prefix}{i:06d}",
            industry=rng.choice(industries),
            arr=Decimal(int(math.exp(rng.uniform(math.log(5_000), math.log(2_000_000))))),
            owner_id=csms[i % len(csms)].pk,
            status=AccountStatus.CHURNED if rng.random() < 0.05 else AccountStatus.ACTIVE,
            go_live_date=today - timedelta(days=rng.randint(20, 730)),
        )
        for i in range(args.accounts)
    ]
    Account.objects.bulk_create(accounts, batch_size=BATCH)
    rows = list(Account.objects.order_by("pk").values_list("pk", "arr", "owner_id", "go_live_date"))
    counts: dict[str, int] = {"csms": len(csms), "accounts": len(rows)}

    contracts = []
    for pk, arr, _owner, _live in rows:
        end = today + timedelta(days=rng.randint(-365, 365))
        contracts.append(
            Contract(
                account_id=pk,
                start_date=end - timedelta(days=365),
                end_date=end,
                arr=arr,
                currency=settings.HOURGLASS_CURRENCY,
            )
        )
    Contract.objects.bulk_create(contracts, batch_size=BATCH)
    renewals = []
    for contract in Contract.objects.order_by("pk").only("pk", "account_id", "end_date", "arr"):
        closed = contract.end_date < today
        status = RenewalStatus.OPEN
        if closed:
            status = RenewalStatus.RENEWED if rng.random() < 0.85 else RenewalStatus.CHURNED
        renewals.append(
            RenewalOpportunity(
                contract_id=contract.pk,
                account_id=contract.account_id,
                due_date=contract.end_date,
                status=status,
                forecast_arr=contract.arr,
            )
        )
    RenewalOpportunity.objects.bulk_create(renewals, batch_size=BATCH)
    counts["renewals"] = len(renewals)

    now = timezone.now()
    colours = [Colour.GREEN] * 6 + [Colour.YELLOW] * 3 + [Colour.RED]
    HealthScore.objects.bulk_create(
        [
            HealthScore(account_id=pk, day=today, score=rng.randint(10, 95), colour=rng.choice(colours))
            for pk, *_ in rows
        ],
        batch_size=BATCH,
    )
    active = [row for row in rows if rng.random() < 0.7]
    DailyRollup.objects.bulk_create(
        [
            DailyRollup(account_id=pk, day=today - timedelta(days=rng.randint(0, 29)), events=5, active_users=2)
            for pk, *_ in active
        ],
        batch_size=BATCH,
    )
    DailyFeatureRollup.objects.bulk_create(
        [
            DailyFeatureRollup(account_id=pk, day=today - timedelta(days=1), event_name=name, events=2, users=1)
            for pk, *_ in active
            for name in ("report.view", "approval.submit")
        ],
        batch_size=BATCH,
    )
    Stakeholder.objects.bulk_create(
        [Stakeholder(account_id=pk, name="Executive", tier=Tier.S) for pk, *_ in rows if rng.random() < 0.5],
        batch_size=BATCH,
    )
    NpsResponse.objects.bulk_create(
        [
            NpsResponse(
                account_id=pk, score=rng.randint(0, 10), responded_on=today - timedelta(days=rng.randint(1, 150))
            )
            for pk, *_ in rows
            if rng.random() < 0.3
        ],
        batch_size=BATCH,
    )
    ExpansionOpportunity.objects.bulk_create(
        [
            ExpansionOpportunity(
                account_id=pk, title="Upsell", kind="upsell", amount=arr / 5, stage="won", owner_role="csm"
            )
            for pk, arr, *_ in rows
            if rng.random() < 0.1
        ],
        batch_size=BATCH,
    )
    Task.objects.bulk_create(
        [
            Task(
                account_id=pk,
                assignee_id=owner,
                title="Follow up",
                due_date=today + timedelta(days=rng.randint(-20, 40)),
                created_at=now,
                updated_at=now,
            )
            for pk, _arr, owner, _live in rows
            if rng.random() < 0.2
        ],
        batch_size=BATCH,
    )
    vacuum_analyze(Account, Contract, RenewalOpportunity, HealthScore, DailyRollup, DailyFeatureRollup, Task)
    return counts


def measure(client: Any, user: Any, url: str, requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    for _ in range(2):
        assert client.get(url).status_code == 200
    times: list[float] = []
    rows = 0
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
        rows = response.content.count(b'data-testid="csm-row"')
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    return {
        "rows": rows,
        "requests": requests,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(times[-1], 1),
        "queries": len(queries.captured_queries),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    database = setup(args.database_url, name="capacity")
    if database is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from capacity.services import capacity_defaults_ensure

    capacity_defaults_ensure()
    today = timezone.localdate()
    generated: dict[str, int] = {}
    data_s = 0.0
    if args.reset or not dataset_present(args):
        print(f"Generating {args.csms} CSMs and {args.accounts:,} accounts (bulk_create) ...")
        mark = time.perf_counter()
        wipe()
        with measuring_settings():
            generated = generate(args, today)
        data_s = time.perf_counter() - mark
        print(f"Generated in {data_s:.1f} s: " + ", ".join(f"{n:,} {name}" for name, n in generated.items()))
    else:
        print("Data set already present; reusing it.")

    User = get_user_model()
    admin = User.objects.get(username=f"{USER_PREFIX}admin")
    manager = User.objects.get(username=f"{USER_PREFIX}mgr00")
    phases: dict[str, dict[str, Any]] = {}
    # Django's test client asks for "testserver"; DEBUG off as in production (the query
    # count comes from one extra request with a forced debug cursor).
    with measuring_settings(ALLOWED_HOSTS=["*"]):
        client = Client()
        for key, user, url, requests in (
            # Served: figures kept per viewer for HOURGLASS_TEAM_FIGURES_CACHE_SECONDS (as on the page).
            ("admin", admin, "/capacity/", args.requests),
            ("manager", manager, "/capacity/", args.requests),
            # Recomputed every time ("Refresh"; the first view after a change or expiry).
            ("admin_refresh", admin, "/capacity/?refresh=1", args.requests),
            ("manager_refresh", manager, "/capacity/?refresh=1", args.requests),
            ("rebalance", admin, "/capacity/rebalance/", max(3, args.requests // 5)),
        ):
            phases[key] = measure(client, user, url, requests)
            print(f"  {key:<10} p50 {phases[key]['p50_ms']:7.1f} ms  p95 {phases[key]['p95_ms']:7.1f} ms")

    db = database_info()
    header = ["phase", "rows", "requests", "p50 ms", "p95 ms", "max ms", "queries"]
    table = [
        [key, value["rows"], value["requests"], value["p50_ms"], value["p95_ms"], value["max_ms"], value["queries"]]
        for key, value in phases.items()
    ]
    print(render_table(header, table))
    verdict = "met" if phases["admin"]["p95_ms"] < GOAL_MS else "missed"
    print(
        f"Goal: team page p95 < {GOAL_MS} ms for {args.csms} CSMs and {args.accounts:,} accounts: {verdict} "
        f"(as served); recomputed p95 {phases['admin_refresh']['p95_ms']:.0f} ms."
    )
    if not args.no_json:
        path = write_results(
            "capacity",
            {
                "when": now_iso(),
                "database": database.display,
                "engine": db,
                "environment": environment(),
                "csms": args.csms,
                "accounts": args.accounts,
                "generated": generated,
                "generate_s": round(data_s, 1),
                "phases": phases,
                "goal_ms": GOAL_MS,
                "goal": verdict,
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
