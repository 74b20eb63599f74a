"""Renewals: the daily reminder sweep over 100,000 contracts and the KPI page over 4 quarters.

    .venv/bin/python bench/renewals.py [--accounts 100000] [--repeat 20] [--seed 42] \
        [--database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_renewals] [--workers 2] \
        [--reset] [--no-json] [--profile N]

Data (deterministic; generated once with ``bulk_create`` and reused while the arguments
stay the same): ``--accounts`` accounts owned by 20 CSMs with an email address; for each
a closed contract period that ended in the 4 quarters before ``DAY`` (its renewal
renewed, downgraded or churned, with the outcome ARR) and the active contract period
after it (or, for the churned ones, a new customer's first contract) whose end date is
spread over the 430 days from ``DAY - 30``, each with its renewal opportunity (6 % at
risk, 10 % committed). So the sweep looks at ``--accounts`` active contracts and the
KPI page at ``--accounts`` closed renewals over 4 quarters.

Measured without a Celery worker (emails stay in the outbox), after the claims up to
``DAY - 1`` were inserted directly (as if every earlier nightly run had happened):

- ``due_query``: ``reminders_due(today=DAY)`` alone — the set-based pass over every
  active contract that finds what is owed (read-only);
- ``sweep_warmup``: the URL resolver and the email templates loaded once, as a
  long-running worker has them (the process's cold start, kept out of the next line);
- ``sweep_dispatch``: ``reminder_sweep_dispatch(today=DAY)``, the nightly job as beat
  runs it: what is owed over every active contract (set-based), one
  ``reminder_batch_task`` sent per batch (goal < 1 s);
- ``batches_<N>proc``: those batches run over ``--workers`` forked processes, as the
  Celery worker processes run the tasks: each batch claims its reminders, renders each
  (HTML + text, the recipient's language), puts them in the outbox, notifies and
  writes the timeline, in one transaction. ``sweep_dispatch`` + this is the time from
  the job's start to every reminder queued;
- ``sweep_inline``: the same day again (after undoing the above) with
  ``reminder_sweep(today=DAY)``, every batch in this one process, as ``manage.py
  repair reminders`` runs it: the whole work's single-core cost (``--profile N``
  prints its N costliest functions);
- ``sweep_rerun``: the same sweep again (nothing due: the set-based check alone);
- ``kpi_page_<group>``: ``GET /renewals/kpis/`` for the last four full quarters as an
  admin, ``--repeat`` times per grouping (goal p95 < 500 ms).

Reminders, the outbox, notifications and the sweep's timeline entries are emptied at
the start of every run. ``--skip sweep|kpi`` and ``--groups a,b`` time only a part. Prints a table and
writes ``bench/results/renewals/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/renewals.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    BrokerSpy,
    ForeignData,
    Stopwatch,
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

PREFIX = "BRENEW"
CSM_PREFIX = "bench.renew.csm."
ADMIN = "bench.renew.admin"
DAY = date(2025, 7, 1)  # the nightly sweep's day; the KPI page reads the 4 quarters before
CSMS = 20
BATCH = 5000
GROUPS = ["company", "team", "csm", "segment", "industry", "icp_fit"]


@dataclass(frozen=True)
class Spec:
    accounts: int
    seed: int

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.seed}-"


@dataclass
class Phase:
    key: str
    description: str
    calls: int
    seconds: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    written: int
    queries: int = 0  # SQL statements of one call (the sweep)
    messages: int = 0  # Celery messages published (the sweep)


def dataset_present(spec: Spec) -> bool:
    from accounts.models import Account
    from renewals.models import Contract, ContractStatus

    return (
        Account.objects.count() == spec.accounts
        and Account.objects.filter(external_id__startswith=spec.prefix).count() == spec.accounts
        and Contract.objects.filter(status=ContractStatus.ACTIVE).count() == spec.accounts
    )


def wipe() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from accounts.models import Account
    from core.models import Notification, OutboundEmail
    from renewals.models import Contract, RenewalOpportunity, RenewalReminder

    empty_tables(RenewalReminder)
    if connection.vendor == "postgresql":
        empty_tables(Account, cascade=True)
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        Notification.objects.all().delete()
        OutboundEmail.objects.all().delete()
        RenewalOpportunity.objects.all().delete()
        Contract.objects.all().delete()
        Account.objects.all().delete()
        get_user_model().objects.filter(username__startswith="bench.renew.").delete()


def generate(spec: Spec, log: Callable[[str], None]) -> dict[str, int]:
    from django.db import transaction

    from accounts.demo import generate_accounts
    from accounts.models import Account
    from org.models import Role, Team
    from org.services import person_create
    from renewals.models import ChurnReason, Contract, ContractStatus, RenewalOpportunity, RenewalStatus
    from renewals.periods import add_months

    rng = random.Random(spec.seed)
    counts: dict[str, int] = {}

    def insert(model: Any, rows: list[Any]) -> list[Any]:
        for start in range(0, len(rows), BATCH):
            model.objects.bulk_create(rows[start : start + BATCH], batch_size=BATCH)
        counts[model._meta.model_name] = counts.get(model._meta.model_name, 0) + len(rows)
        return rows

    with transaction.atomic():
        teams = [Team.objects.create(name=f"Bench renewals team {n}") for n in range(1, 5)]
        csms = [
            person_create(
                username=f"{CSM_PREFIX}{n:02d}",
                role=Role.CSM,
                first_name="CSM",
                last_name=f"{n:02d}",
                email=f"renew{n:02d}@bench.example.com",
                team=teams[n % len(teams)],
            )
            for n in range(1, CSMS + 1)
        ]
        person_create(username=ADMIN, role=Role.ADMIN, first_name="Bench", last_name="Admin")
        insert(
            Account,
            list(
                generate_accounts(
                    rng=rng,
                    count=spec.accounts,
                    owners_by_industry={},
                    fallback_owners=csms,
                    today=DAY,
                    external_id_prefix=spec.prefix.rstrip("-"),
                )
            ),
        )
        account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        log(f"  {len(account_ids):,} accounts")
        reason = ChurnReason.objects.order_by("sort_order").first()

        closed_contracts, active_contracts = [], []
        outcomes: list[tuple[str, Decimal]] = []
        kpi_start = add_months(date(DAY.year, 3 * ((DAY.month - 1) // 3) + 1, 1), -12)
        for pk in account_ids:
            arr = Decimal(rng.randrange(5_000, 500_000, 500))
            ended = kpi_start + timedelta(days=rng.randrange(0, (DAY - kpi_start).days - 1))
            closed_contracts.append(
                Contract(
                    account_id=pk,
                    start_date=add_months(ended, -12) + timedelta(days=1),
                    end_date=ended,
                    arr=arr,
                    currency="CNY",
                    status=ContractStatus.ENDED,
                )
            )
            roll = rng.random()
            if roll < 0.12:
                outcomes.append((RenewalStatus.CHURNED, Decimal("0")))
            elif roll < 0.30:
                outcomes.append((RenewalStatus.DOWNGRADED, (arr * Decimal("0.7")).quantize(Decimal("1"))))
            else:
                outcomes.append((RenewalStatus.RENEWED, (arr * Decimal(rng.choice(["1", "1", "1.1", "1.3"])))))
            end = DAY - timedelta(days=30) + timedelta(days=rng.randrange(0, 430))
            active_contracts.append(
                Contract(
                    account_id=pk,
                    start_date=add_months(end, -12) + timedelta(days=1),
                    end_date=end,
                    arr=arr if outcomes[-1][0] == RenewalStatus.CHURNED else outcomes[-1][1],
                    currency="CNY",
                    status=ContractStatus.ACTIVE,
                )
            )
        insert(Contract, closed_contracts)
        insert(Contract, active_contracts)
        contracts = list(Contract.objects.order_by("pk").values_list("pk", "account_id", "end_date", "arr", "status"))
        renewals = []
        closed_index = 0
        for pk, account_id, end_date, arr, status in contracts:
            renewal = RenewalOpportunity(
                contract_id=pk, account_id=account_id, due_date=end_date, forecast_arr=arr, status=RenewalStatus.OPEN
            )
            if status == ContractStatus.ENDED:
                outcome, outcome_arr = outcomes[closed_index]
                closed_index += 1
                renewal.status = outcome
                renewal.outcome_arr = outcome_arr
                renewal.churn_reason = reason if outcome == RenewalStatus.CHURNED else None
            else:
                roll = rng.random()
                if roll < 0.06:
                    renewal.status, renewal.risk_reason = RenewalStatus.AT_RISK, "Sponsor left"
                elif roll < 0.16:
                    renewal.status = RenewalStatus.COMMITTED
            renewals.append(renewal)
        insert(RenewalOpportunity, renewals)
    return counts


def seed_earlier_claims(day: date) -> int:
    """The claims earlier nightly runs would have made up to ``day`` (no emails)."""
    from django.utils import timezone

    from renewals.models import RenewalReminder
    from renewals.reminders import reminders_due

    now = timezone.now()
    rows = [
        RenewalReminder(
            renewal_id=pk,
            threshold_days=threshold,
            due_date=due,
            days_left=(due - day).days,
            claim_token="bench-seed",  # noqa: S106 - a claim marker, not a secret
            claimed_at=now,
            queued_at=now,
        )
        for pk, threshold, due in reminders_due(today=day).values_list("pk", "threshold", "due_date")
    ]
    RenewalReminder.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


def run_due_query(day: date) -> Phase:
    from renewals.reminders import reminders_due

    watch = Stopwatch()
    for _ in range(5):
        with watch.lap():
            found = len(reminders_due(today=day).values_list("pk", "threshold", "due_date"))
    samples = sorted(watch.samples)
    return Phase(
        "due_query",
        f"reminders_due({day}) over every active contract",
        5,
        round(watch.total, 3),
        round(statistics.median(samples) * 1000, 1),
        round(samples[-1] * 1000, 1),
        round(samples[-1] * 1000, 1),
        found,
    )


def run_warmup() -> Phase:
    """What a long-running worker has done once before its nightly sweep: the URL
    resolver built, the email templates compiled, the task modules imported. Timed on
    its own so ``sweep_daily`` measures the sweep, not the process's cold start."""
    from django.template.loader import get_template
    from django.urls import reverse

    import core.tasks  # noqa: F401 - imported by the sweep's on-commit delivery

    watch = Stopwatch()
    with watch.lap():
        reverse("renewals:detail", args=[1])
        for name in ("reminder.txt", "reminder.html", "customer_reminder.txt", "customer_reminder.html"):
            get_template(f"renewals/email/{name}")
    return Phase("sweep_warmup", "URL resolver, email templates", 1, round(watch.total, 3), 0, 0, 0, 0)


class StatementCounter:
    """Counts the SQL statements run on this process's connection while active."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements += 1
        return execute(sql, params, many, context)


def run_sweep(key: str, description: str, day: date, *, profile: int = 0) -> Phase:
    """``reminder_sweep``: every batch claimed and queued in this one process."""
    import cProfile
    import pstats

    from django.db import connection

    from renewals.reminders import reminder_sweep

    counter = StatementCounter()
    watch = Stopwatch()
    profiler = cProfile.Profile() if profile else None
    with BrokerSpy() as spy, connection.execute_wrapper(counter), watch.lap():
        if profiler:
            profiler.enable()
        result = reminder_sweep(today=day)
        if profiler:
            profiler.disable()
    if profiler:
        print(f"  {key} profiled (slower than unprofiled):")
        for order in ("tottime", "cumulative"):
            pstats.Stats(profiler).strip_dirs().sort_stats(order).print_stats(profile)
    return Phase(
        key,
        description,
        1,
        round(watch.total, 3),
        0,
        0,
        round(watch.total * 1000, 1),
        result.claimed,
        queries=counter.statements,
        messages=sum(spy.published.values()),
    )


def run_dispatch(day: date) -> Phase:
    """``reminder_sweep_dispatch``: the nightly job itself — what is owed, one task per batch."""
    from django.db import connection

    from renewals.reminders import reminder_sweep_dispatch

    counter = StatementCounter()
    watch = Stopwatch()
    with BrokerSpy() as spy, connection.execute_wrapper(counter), watch.lap():
        result = reminder_sweep_dispatch(today=day)
    return Phase(
        "sweep_dispatch",
        f"the nightly job: find what is owed, send {result.tasks} batch tasks, {day}",
        1,
        round(watch.total, 3),
        0,
        0,
        round(watch.total * 1000, 1),
        result.due,
        queries=counter.statements,
        messages=sum(spy.published.values()),
    )


def _run_batch(job: tuple[list[Any], date, str]) -> tuple[int, float]:
    from renewals.reminders import reminders_claim_and_queue

    started = time.perf_counter()
    claimed = reminders_claim_and_queue(job[0], today=job[1], audience=job[2])
    return claimed, time.perf_counter() - started


def run_batches(day: date, workers: int) -> Phase:
    """The dispatched batches claimed and queued over ``workers`` processes, as the
    Celery worker processes run ``reminder_batch_task`` (each with its own connection)."""
    import multiprocessing

    from django.db import connections

    from renewals.reminders import due_batches

    jobs = [(batch.rows, day, batch.audience) for batch in due_batches(today=day)]
    connections.close_all()  # children open their own; never share the parent's socket
    laps: list[float] = []
    claimed = 0
    watch = Stopwatch()
    with BrokerSpy(), watch.lap(), multiprocessing.get_context("fork").Pool(workers) as pool:
        for count, seconds in pool.imap_unordered(_run_batch, jobs):
            claimed += count
            laps.append(seconds)
    laps.sort()
    return Phase(
        f"batches_{workers}proc",
        f"{len(jobs)} batch tasks over {workers} worker processes, {day}",
        len(jobs),
        round(watch.total, 3),
        round(laps[len(laps) // 2] * 1000, 1) if laps else 0,
        round(laps[min(len(laps) - 1, round(0.95 * (len(laps) - 1)))] * 1000, 1) if laps else 0,
        round(laps[-1] * 1000, 1) if laps else 0,
        claimed,
    )


def forget_sweep(day: date) -> None:
    """Undo what the sweeps of ``day`` wrote (claims, outbox, notifications, timeline)."""
    from accounts.models import TimelineEntry
    from core.models import Notification, OutboundEmail
    from renewals.models import RenewalReminder

    RenewalReminder.objects.exclude(claim_token="bench-seed").delete()  # noqa: S106 - a claim marker
    Notification.objects.all().delete()
    OutboundEmail.objects.all().delete()
    TimelineEntry.objects.filter(kind__in=["renewal_reminder_sent", "renewal_customer_reminder_sent"]).delete()


def run_kpi_page(group_by: str, repeat: int, start: date, end: date) -> Phase:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=ADMIN))
    url = f"/renewals/kpis/?start={start}&end={end}&group_by={group_by}"
    assert client.get(url).status_code == 200  # warm-up (templates, connection)
    watch = Stopwatch()
    for _ in range(repeat):
        with watch.lap():
            response = client.get(url)
        assert response.status_code == 200
    samples = sorted(watch.samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Phase(
        f"kpi_page_{group_by}",
        f"GET /renewals/kpis/ {start}..{end} by {group_by}",
        repeat,
        round(watch.total, 3),
        round(statistics.median(samples) * 1000, 1),
        round(p95 * 1000, 1),
        round(samples[-1] * 1000, 1),
        0,
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts, one active contract each (100000)")
    parser.add_argument("--repeat", type=int, default=20, help="KPI page requests per grouping (20)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_renewals.sqlite3)")
    parser.add_argument("--reset", action="store_true", help="regenerate the data even if it is present")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/renewals/<timestamp>.json")
    parser.add_argument(
        "--skip", action="append", choices=["sweep", "kpi"], default=[], help="leave out the sweep or the KPI pages"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes running the batch tasks (2, like the machine's cores)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile sweep_inline: print its N costliest functions"
    )
    parser.add_argument(
        "--groups", help=f"comma-separated KPI groupings to time (default all: {','.join(GROUPS)})", default=""
    )
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.repeat < 1:
        parser.error("--accounts and --repeat must be positive")
    args.groups = [group for group in args.groups.split(",") if group] or GROUPS
    if unknown := set(args.groups) - set(GROUPS):
        parser.error(f"unknown grouping(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    spec = Spec(accounts=args.accounts, seed=args.seed)
    started = time.perf_counter()
    database = setup(args.database_url, name="renewals")
    if database is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    from accounts.models import Account, TimelineEntry
    from core.models import Notification, OutboundEmail
    from renewals.kpis import default_period
    from renewals.models import Contract, RenewalOpportunity, RenewalReminder

    generated: dict[str, int] = {}
    if args.reset or not dataset_present(spec):
        mark = time.perf_counter()
        print(f"Generating {spec.accounts:,} accounts with two contract periods each (bulk_create) ...")
        wipe()
        with measuring_settings(SIMPLE_HISTORY_ENABLED=False):
            generated = generate(spec, print)
        vacuum_analyze(Account, Contract, RenewalOpportunity)
        print(
            f"Generated in {time.perf_counter() - mark:.1f} s: " + ", ".join(f"{n:,} {k}" for k, n in generated.items())
        )
    else:
        print("Data set already present; reusing it.")
    empty_tables(RenewalReminder)
    Notification.objects.all().delete()
    OutboundEmail.objects.all().delete()
    # The sweep's timeline entries too: their dedupe keys would make a re-run skip them.
    TimelineEntry.objects.filter(kind__in=["renewal_reminder_sent", "renewal_customer_reminder_sent"]).delete()
    db = database_info()
    print(f"Engine: {db['version']}")

    phases: list[Phase] = []
    start, end = default_period(DAY)
    with measuring_settings(ALLOWED_HOSTS=["*"]):
        if "sweep" not in args.skip:
            seeded = seed_earlier_claims(DAY - timedelta(days=1))
            vacuum_analyze(RenewalReminder)
            print(f"  {seeded:,} earlier claims inserted (as of {DAY - timedelta(days=1)})")
            phases.append(run_due_query(DAY))
            print(f"  due_query      p50 {phases[-1].p50_ms:7.1f} ms ({phases[-1].written:,} due)")
            phases.append(run_warmup())
            print(f"  sweep_warmup   {phases[-1].seconds:7.2f} s (the process's cold start, not timed below)")
            phases.append(run_dispatch(DAY))
            dispatch = phases[-1]
            print(
                f"  sweep_dispatch {dispatch.seconds:7.2f} s ({dispatch.written:,} due, "
                f"{dispatch.queries:,} queries, {dispatch.messages:,} Celery messages)"
            )
            phases.append(run_batches(DAY, args.workers))
            batches = phases[-1]
            print(
                f"  {batches.key:<14} {batches.seconds:7.2f} s ({batches.written:,} reminders claimed and queued "
                f"in {batches.calls} batches; sweep to all queued: {dispatch.seconds + batches.seconds:.2f} s)"
            )
            forget_sweep(DAY)
            phases.append(run_sweep("sweep_inline", f"reminder_sweep in one process, {DAY}", DAY, profile=args.profile))
            print(
                f"  sweep_inline   {phases[-1].seconds:7.2f} s ({phases[-1].written:,} reminders, "
                f"{phases[-1].queries:,} queries, {phases[-1].messages:,} Celery messages)"
            )
            phases.append(run_sweep("sweep_rerun", f"the same sweep again, {DAY}", DAY))
            print(f"  sweep_rerun    {phases[-1].seconds:7.2f} s ({phases[-1].written:,} reminders)")
        for group_by in [] if "kpi" in args.skip else args.groups:
            phases.append(run_kpi_page(group_by, args.repeat, start, end))
            print(f"  {phases[-1].key:<24} p50 {phases[-1].p50_ms:7.1f} ms  p95 {phases[-1].p95_ms:7.1f} ms")

    print()
    print(
        render_table(
            ["phase", "calls", "seconds", "p50 ms", "p95 ms", "max ms", "reminders", "queries"],
            [[p.key, p.calls, p.seconds, p.p50_ms, p.p95_ms, p.max_ms, p.written, p.queries] for p in phases],
        )
    )
    print(f"\nTotal wall time {time.perf_counter() - started:.1f} s")
    if not args.no_json:
        path = write_results(
            "renewals",
            {
                "when": now_iso(),
                "spec": asdict(spec),
                "day": DAY.isoformat(),
                "kpi_period": [start.isoformat(), end.isoformat()],
                "database": db,
                "environment": environment(),
                "generated": generated,
                "phases": [asdict(p) for p in phases],
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
