"""Health-score recompute and activity-drop scan over every account.

    .venv/bin/python bench/scoring.py [--accounts 20000] [--days 35] [--chunk 1000] [--naive 1000] \
        [--seed 42] [--database-url URL] [--reset] [--no-json]

Data (deterministic; generated once and reused while the arguments stay the same):
``--accounts`` accounts (``accounts.demo.generate_accounts``, owned by 20 CSMs with an
email address, about 6 % churned) and, inserted directly with ``bulk_create`` (no
events, no history rows), what the scores read: one purchased product with seats for
90 % of them; for the 90 % that send usage, one ``DailyRollup`` per active day over the
``--days`` days ending on ``DAY`` and one to three ``DailyFeatureRollup`` rows per active
day (5 features), weekday-seasonal, with a sustained drop over the last 9 days for
3 % of them; an S-tier stakeholder for 60 %, zero to three touchpoints over 60 days
(half of them with that stakeholder), NPS answers for 40 %, an open risk flag for 5 %.
The default health model gets three key features (so depth has a value).

Measured, in-process (no Celery worker):

- ``full_cold``: ``health_scores_compute(account_ids=chunk, day=DAY - 1)`` over every
  account that is not churned, in chunks of ``--chunk`` (what ``health_scores_dispatch``
  fans out as tasks), with no earlier scores;
- ``full``: the same for ``DAY``, which now has the previous day's scores to explain
  changes against: the nightly run;
- ``full_<N>proc``: the nightly run again, its chunks spread over ``--workers`` processes
  (default 2, one per core), as ``health_scores_dispatch`` spreads them over Celery
  worker processes;
- ``naive``: the first ``--naive`` of those accounts, one ``health_scores_compute`` call
  per account (their ``DAY`` scores deleted first, so it does the same work);
- ``drop_scan``: ``activity_drop_scan(day=DAY)`` over all accounts (alerts, timeline
  entries, notifications and outbox emails for the drops it finds);
- ``drop_rescan``: the same scan again (everything in cooldown: nothing raised).

Scores, alerts and what the scan wrote are deleted at the start of every run. Prints a
table and writes ``bench/results/scoring/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as ``python bench/scoring.py``: import from the repo root
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

PREFIX = "BSCORE"  # external ids: BSCORE42-000001 …
CSM_PREFIX = "bench.score.csm."
DAY = date(2025, 6, 30)  # the day scored and scanned
FEATURES = ["login", "opportunity.create", "report.view", "approval.submit", "customer.update"]
KEY_FEATURES = ["opportunity.create", "report.view", "approval.submit"]
CSMS = 20
BATCH = 5000


@dataclass(frozen=True)
class Spec:
    accounts: int
    days: int
    seed: int

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.seed}-"


@dataclass
class Phase:
    key: str
    description: str
    accounts: int
    calls: int
    seconds: float
    accounts_per_s: float
    call_p50_ms: float
    call_max_ms: float
    written: int


# --- data --------------------------------------------------------------------------------


def dataset_present(spec: Spec) -> bool:
    from accounts.models import Account
    from health.models import DailyRollup

    accounts = Account.objects.filter(external_id__startswith=spec.prefix)
    if accounts.count() != spec.accounts or Account.objects.count() != spec.accounts:
        return False
    first = DailyRollup.objects.order_by("day").values_list("day", flat=True).first()
    last = DailyRollup.objects.order_by("-day").values_list("day", flat=True).first()
    return first == DAY - timedelta(days=spec.days - 1) and last == DAY


def wipe() -> None:
    """Every account (and what hangs off it) and the bench CSMs. Only bench data is here."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from accounts.models import Account, Stakeholder
    from core.models import Notification, OutboundEmail
    from health.models import ActivityAlert, DailyFeatureRollup, DailyRollup, HealthScore, NpsResponse

    empty_tables(HealthScore, ActivityAlert, DailyFeatureRollup, DailyRollup, NpsResponse)
    if connection.vendor == "postgresql":
        # Accounts and every table pointing at them (TRUNCATE … CASCADE): all bench data.
        empty_tables(Account, cascade=True)
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        Notification.objects.all().delete()
        OutboundEmail.objects.all().delete()
        Stakeholder.objects.all().delete()
        Account.objects.all().delete()
        Account.history.all().delete()
        Stakeholder.history.all().delete()
        get_user_model().objects.filter(username__startswith=CSM_PREFIX).delete()


def generate(spec: Spec, log: Callable[[str], None]) -> dict[str, int]:
    from django.conf import settings
    from django.db import transaction

    from accounts.demo import generate_accounts
    from accounts.models import Account, AccountStatus, PurchasedProduct, RiskFlag, Stakeholder, Tier, TimelineEntry
    from health.models import DailyFeatureRollup, DailyRollup, NpsResponse
    from org.models import Role
    from org.services import person_create

    rng = random.Random(spec.seed)
    zone = ZoneInfo(settings.TIME_ZONE)
    counts: dict[str, int] = {}

    def insert(model: Any, rows: list[Any]) -> None:
        for start in range(0, len(rows), BATCH):
            model.objects.bulk_create(rows[start : start + BATCH], batch_size=BATCH)
        counts[model._meta.model_name] = counts.get(model._meta.model_name, 0) + len(rows)

    with transaction.atomic():
        csms = [
            person_create(
                username=f"{CSM_PREFIX}{n:02d}",
                role=Role.CSM,
                first_name="CSM",
                last_name=f"{n:02d}",
                email=f"csm{n:02d}@bench.example.com",
            )
            for n in range(1, CSMS + 1)
        ]
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
        accounts = list(Account.objects.order_by("pk").values_list("pk", "status"))
        log(f"  {len(accounts):,} accounts")

        products, stakeholders = [], []
        for pk, _status in accounts:
            if rng.random() < 0.9:
                products.append(
                    PurchasedProduct(account_id=pk, product="Hourglass CRM", seats=rng.randint(5, 300), start_date=DAY)
                )
            if rng.random() < 0.6:
                stakeholders.append(Stakeholder(account_id=pk, name=f"Exec {pk}", tier=Tier.S, title="CEO"))
        insert(PurchasedProduct, products)
        insert(Stakeholder, stakeholders)
        seats = {p.account_id: p.seats or 0 for p in products}
        executive = dict(Stakeholder.objects.filter(tier=Tier.S).values_list("account_id", "pk"))

        first_day = DAY - timedelta(days=spec.days - 1)
        rollups: list[DailyRollup] = []
        features: list[DailyFeatureRollup] = []
        written = 0
        for pk, status in accounts:
            if status == AccountStatus.CHURNED or rng.random() >= 0.9:
                continue
            level = rng.randint(5, 400)
            users = max(2, min(seats.get(pk) or 50, level // 3))
            drops = rng.random() < 0.03
            for offset in range(spec.days):
                day = first_day + timedelta(days=offset)
                volume = level * (0.15 if day.weekday() >= 5 else 1.0) * rng.uniform(0.7, 1.3)
                if drops and (DAY - day).days < 9:
                    volume *= 0.1
                events = int(volume)
                if events == 0:
                    continue
                active = max(1, min(users, int(users * rng.uniform(0.4, 1.0))))
                rollups.append(
                    DailyRollup(account_id=pk, day=day, events=events, active_users=active, quantity=Decimal(events))
                )
                for name in rng.sample(FEATURES, rng.randint(1, 3)):
                    features.append(
                        DailyFeatureRollup(
                            account_id=pk,
                            day=day,
                            event_name=name,
                            events=max(1, events // 3),
                            users=max(1, active // 2),
                        )
                    )
            if len(features) >= 50_000:
                insert(DailyRollup, rollups)
                insert(DailyFeatureRollup, features)
                written += len(rollups)
                rollups, features = [], []
                log(f"  {written:,} daily rollups ...")
        insert(DailyRollup, rollups)
        insert(DailyFeatureRollup, features)

        touchpoints: list[TimelineEntry] = []
        links: list[tuple[int, int]] = []
        nps: list[NpsResponse] = []
        risky: list[int] = []
        start = datetime(DAY.year, DAY.month, DAY.day, 10, tzinfo=zone)
        for pk, _status in accounts:
            for n in range(rng.randint(0, 3)):
                touchpoints.append(
                    TimelineEntry(
                        account_id=pk,
                        is_touchpoint=True,
                        kind="meeting",
                        title="Check-in",
                        occurred_at=start - timedelta(days=rng.randint(0, 60), minutes=n),
                    )
                )
                links.append((len(touchpoints) - 1, executive.get(pk, 0)) if rng.random() < 0.5 else (-1, 0))
            if rng.random() < 0.4:
                for n in range(rng.randint(1, 2)):
                    nps.append(
                        NpsResponse(
                            account_id=pk,
                            score=rng.choices(range(11), weights=[1, 1, 1, 2, 2, 3, 4, 8, 10, 12, 9])[0],
                            responded_on=DAY - timedelta(days=rng.randint(1, 170)),
                            external_id=f"bench-nps-{pk}-{n}",
                        )
                    )
            if rng.random() < 0.05:
                risky.append(pk)
        insert(TimelineEntry, touchpoints)  # PostgreSQL and SQLite set the pks on bulk_create
        Through = TimelineEntry.stakeholders.through
        insert(
            Through,
            [
                Through(timelineentry_id=touchpoints[index].pk, stakeholder_id=stakeholder)
                for index, stakeholder in links
                if index >= 0 and stakeholder
            ],
        )
        insert(NpsResponse, nps)
        insert(RiskFlag, [RiskFlag(account_id=pk, kind="other", reason="Bench risk") for pk in risky])
        RiskFlag.objects.update(raised_at=start - timedelta(days=10))  # auto_now_add: the real date otherwise
    vacuum_analyze()
    return counts


def set_key_features() -> None:
    from health.models import HealthModel
    from health.services import health_model_default_ensure

    health_model_default_ensure()
    HealthModel.objects.filter(segment="").update(key_features=KEY_FEATURES)


def clear_results() -> None:
    """Scores, alerts and what the scan wrote (timeline entries, notifications, emails)."""
    from accounts.models import TimelineEntry
    from core.models import Notification, OutboundEmail
    from health.models import ActivityAlert, HealthScore

    empty_tables(HealthScore, ActivityAlert)
    Notification.objects.all().delete()
    OutboundEmail.objects.all().delete()
    TimelineEntry.objects.filter(is_touchpoint=False).delete()
    vacuum_analyze(HealthScore, ActivityAlert)


# --- phases ------------------------------------------------------------------------------


def chunks(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def run_compute(key: str, description: str, groups: Sequence[Sequence[int]], day: date) -> Phase:
    from health.scoring import health_scores_compute

    watch = Stopwatch()
    written = 0
    for group in groups:
        with watch.lap():
            written += health_scores_compute(account_ids=group, day=day)
    accounts = sum(len(group) for group in groups)
    if written != accounts:
        raise RuntimeError(f"{key}: {written} scores written for {accounts} accounts")
    return Phase(
        key=key,
        description=description,
        accounts=accounts,
        calls=len(groups),
        seconds=round(watch.total, 3),
        accounts_per_s=round(accounts / watch.total, 1),
        call_p50_ms=round(watch.median * 1000, 2),
        call_max_ms=round(watch.maximum * 1000, 2),
        written=written,
    )


def _compute_chunk(job: tuple[Sequence[int], date]) -> tuple[int, float]:
    from health.scoring import health_scores_compute

    started = time.perf_counter()
    written = health_scores_compute(account_ids=job[0], day=job[1])
    return written, time.perf_counter() - started


def run_compute_parallel(key: str, groups: Sequence[Sequence[int]], day: date, workers: int) -> Phase:
    """The chunks spread over ``workers`` processes, as ``health_scores_dispatch`` spreads
    its chunk tasks over Celery worker processes (each with its own connection)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # children open their own; never share the parent's socket
    started = time.perf_counter()
    laps: list[float] = []
    written = 0
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for count, seconds in pool.imap_unordered(_compute_chunk, [(group, day) for group in groups]):
            written += count
            laps.append(seconds)
    total = time.perf_counter() - started
    accounts = sum(len(group) for group in groups)
    if written != accounts:
        raise RuntimeError(f"{key}: {written} scores written for {accounts} accounts")
    laps.sort()
    return Phase(
        key=key,
        description=f"chunks of {len(groups[0]) if groups else 0} over {workers} processes, {day}",
        accounts=accounts,
        calls=len(groups),
        seconds=round(total, 3),
        accounts_per_s=round(accounts / total, 1),
        call_p50_ms=round(laps[len(laps) // 2] * 1000, 2) if laps else 0.0,
        call_max_ms=round(laps[-1] * 1000, 2) if laps else 0.0,
        written=written,
    )


def run_scan(key: str, description: str, accounts: int, day: date) -> tuple[Phase, dict[str, Any]]:
    from health.alerts import activity_drop_scan

    watch = Stopwatch()
    with BrokerSpy() as spy, watch.lap():
        result = activity_drop_scan(day=day)
    phase = Phase(
        key=key,
        description=description,
        accounts=accounts,
        calls=1,
        seconds=round(watch.total, 3),
        accounts_per_s=round(accounts / watch.total, 1),
        call_p50_ms=round(watch.median * 1000, 2),
        call_max_ms=round(watch.maximum * 1000, 2),
        written=len(result.raised),
    )
    return phase, {"candidates": result.candidates, "raised": len(result.raised), "tasks_published": spy.published}


def time_drop_candidates(day: date) -> float:
    """The candidate query alone (read-only), for the split of the scan's time."""
    from health.alerts import drop_candidates

    started = time.perf_counter()
    list(drop_candidates(day=day))
    return time.perf_counter() - started


# --- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=20_000, help="accounts (20000)")
    parser.add_argument("--days", type=int, default=35, help="days of rollups ending on 2025-06-30 (35)")
    parser.add_argument("--chunk", type=int, default=1000, help="accounts per health_scores_compute call (1000)")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes for the parallel nightly phase, like Celery workers (2)"
    )
    parser.add_argument("--naive", type=int, default=1000, help="accounts scored one call each (1000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_scoring.sqlite3)")
    parser.add_argument("--reset", action="store_true", help="regenerate the data even if it is present")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/scoring/<timestamp>.json")
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.days < 1 or args.chunk < 1 or args.naive < 0:
        parser.error("--accounts, --days and --chunk must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    spec = Spec(accounts=args.accounts, days=args.days, seed=args.seed)
    started = time.perf_counter()
    database = setup(args.database_url, name="scoring")
    if database is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    from accounts.models import Account, AccountStatus
    from health.models import DailyFeatureRollup, DailyRollup, HealthScore

    generated: dict[str, int] = {}
    data_s = 0.0
    if args.reset or not dataset_present(spec):
        mark = time.perf_counter()
        print(f"Generating {spec.accounts:,} accounts with {spec.days} days of rollups (bulk_create) ...")
        wipe()
        with measuring_settings():
            generated = generate(spec, print)
        data_s = time.perf_counter() - mark
        print(f"Generated in {data_s:.1f} s: " + ", ".join(f"{n:,} {name}" for name, n in generated.items()))
    else:
        print("Data set already present; reusing it.")
    set_key_features()
    clear_results()
    rollups, feature_rows = DailyRollup.objects.count(), DailyFeatureRollup.objects.count()
    ids = list(Account.objects.exclude(status=AccountStatus.CHURNED).order_by("pk").values_list("pk", flat=True))
    db = database_info()
    print(
        f"Engine: {db['version']}; {len(ids):,} accounts to score, "
        f"{rollups:,} daily and {feature_rows:,} feature rollups"
    )

    phases: list[Phase] = []
    scan_info: dict[str, Any] = {}
    with measuring_settings():
        groups = chunks(ids, args.chunk)
        phases.append(
            run_compute(
                "full_cold", f"chunks of {args.chunk}, {DAY - timedelta(days=1)}", groups, DAY - timedelta(days=1)
            )
        )
        print(f"  full_cold   {phases[-1].seconds:7.2f} s")
        phases.append(run_compute("full", f"chunks of {args.chunk}, {DAY} (after the previous day)", groups, DAY))
        print(f"  full        {phases[-1].seconds:7.2f} s")
        if args.workers > 1:
            phases.append(run_compute_parallel(f"full_{args.workers}proc", groups, DAY, args.workers))
            print(f"  full_{args.workers}proc  {phases[-1].seconds:7.2f} s")
        if args.naive:
            slice_ids = ids[: args.naive]
            HealthScore.objects.filter(day=DAY, account_id__in=slice_ids).delete()
            phases.append(run_compute("naive", "one account per call", [[pk] for pk in slice_ids], DAY))
            print(f"  naive       {phases[-1].seconds:7.2f} s")
        candidates_s = time_drop_candidates(DAY)
        phase, scan_info = run_scan("drop_scan", f"activity_drop_scan({DAY})", spec.accounts, DAY)
        phases.append(phase)
        print(f"  drop_scan   {phase.seconds:7.2f} s ({scan_info['raised']} alerts)")
        phase, rescan_info = run_scan("drop_rescan", "the same scan again (cooldown)", spec.accounts, DAY)
        phases.append(phase)
        print(f"  drop_rescan {phase.seconds:7.2f} s")
    clear_results()

    by_key = {phase.key: phase for phase in phases}
    naive_rate = by_key["naive"].accounts_per_s if "naive" in by_key else 0.0
    rows = [
        (
            phase.key,
            phase.accounts,
            phase.calls,
            phase.seconds,
            phase.accounts_per_s,
            phase.call_p50_ms,
            phase.call_max_ms,
            phase.written,
            f"{phase.accounts_per_s / naive_rate:.1f}×" if naive_rate and phase.key.startswith("full") else "-",
        )
        for phase in phases
    ]
    total_s = time.perf_counter() - started
    print()
    print(f"Scoring bench: {db['version']}, {spec.accounts:,} accounts ({len(ids):,} scored), {spec.days} days")
    print(
        render_table(
            ("phase", "accounts", "calls", "seconds", "accounts/s", "call p50 ms", "call max ms", "written",
             "vs naive"),
            rows,
        )
    )  # fmt: skip
    full = by_key.get(f"full_{args.workers}proc", by_key["full"])
    projected = 100_000 / full.accounts_per_s
    print(
        f"Full recompute ({full.key}): {full.seconds:.1f} s for {full.accounts:,} accounts; at this rate 100,000 take "
        f"{projected:.0f} s (goal ≤ 30 s). Drop scan: {by_key['drop_scan'].seconds:.2f} s "
        f"(candidate query {candidates_s:.2f} s, {scan_info['candidates']} candidates; goal ≤ 5 s)."
    )
    print(f"Total run time {total_s:.1f} s (data {data_s:.1f} s)")

    if not args.no_json:
        path = write_results(
            "scoring",
            {
                "benchmark": "scoring",
                "created_at": now_iso(),
                "database": {**db, "url": database.display},
                "dataset": {
                    **asdict(spec),
                    "day": DAY.isoformat(),
                    "scored_accounts": len(ids),
                    "daily_rollups": rollups,
                    "feature_rollups": feature_rows,
                    "generated_this_run": generated,
                    "generate_s": round(data_s, 1),
                },
                "chunk": args.chunk,
                "environment": environment(),
                "phases": [asdict(phase) for phase in phases],
                "drop_scan": {**scan_info, "candidate_query_s": round(candidates_s, 3), "rescan": rescan_info},
                "run_s": round(total_s, 1),
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
