"""Freshness: event → score latency under a steady ingest, and the silence scan.

    .venv/bin/python bench/freshness.py [--rate 2000] [--seconds 30] [--batch 500] [--accounts 200] \
        [--scan-accounts 5000] [--workers 2] [--database-url URL] [--no-json]

One run, on one database (``var/bench/hourglass_bench_freshness.sqlite3`` unless
``--database-url`` names another), with a real Celery worker (``--workers`` processes,
on the configured broker):

- ``rollup`` / ``score`` latency: ``health.services.events_ingest`` sends ``--rate``
  events a second (batches of ``--batch`` over ``--accounts`` accounts, each batch
  touching ``--batch / 10`` of them) for ``--seconds``; for every (batch, account) the
  time from the batch's commit to the first rollup (``DailyRollup.computed_at``) and
  the first score (``HealthScore.computed_at``) written after it, p50 / p95 / max. The
  rollup latency is the baseline: the score follows it by the debounce delay
  (``HOURGLASS_HEALTH_RESCORE_DELAY``) plus the scoring itself. Timestamps are the
  rows' own, read by polling every 0.2 s: a value is an upper bound.
- ``silence_scan`` against ``drop_scan``: ``health.silence.silence_scan`` and
  ``health.alerts.activity_drop_scan`` over the same ``--scan-accounts`` accounts with
  35 days of rollups (3 % of them silent for 30 h, 3 % dropping), alerts deleted
  before each; the ratio is silence / drop.

Prints a table and writes ``bench/results/freshness/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as ``python bench/freshness.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    BrokerSpy,
    database_info,
    environment,
    measuring_settings,
    now_iso,
    render_table,
    setup,
    write_results,
)

PREFIX = "BFRESH"
ADMIN_USERNAME = "bench.freshness.admin"


def _accounts(n: int, tag: str) -> list[Any]:
    from accounts.models import Account, PurchasedProduct

    existing = list(Account.objects.filter(external_id__startswith=f"{PREFIX}{tag}-").order_by("pk"))
    missing = [
        Account(name=f"Freshness {tag} {i:05d}", external_id=f"{PREFIX}{tag}-{i:05d}") for i in range(len(existing), n)
    ]
    Account.objects.bulk_create(missing, batch_size=1000)
    accounts = list(Account.objects.filter(external_id__startswith=f"{PREFIX}{tag}-").order_by("pk"))[:n]
    PurchasedProduct.objects.bulk_create(
        [PurchasedProduct(account=a, product="CRM", seats=20) for a in accounts[len(existing) :]], batch_size=1000
    )
    return accounts


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _observe(pending: dict[int, list[float]], model: Any, field: str, found: dict[int, list[float]]) -> None:
    """Match each pending commit time with the first row write after it."""
    if not pending:
        return
    rows = model.objects.filter(account_id__in=list(pending)).values_list("account_id", field)
    latest: dict[int, float] = {}
    for account_id, moment in rows:
        latest[account_id] = max(latest.get(account_id, 0.0), moment.timestamp())
    for account_id, written in latest.items():
        waiting = pending.get(account_id, [])
        done = [t for t in waiting if written >= t]
        found.setdefault(account_id, []).extend(written - t for t in done)
        pending[account_id] = [t for t in waiting if written < t]
        if not pending[account_id]:
            del pending[account_id]


def latency(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from health.models import DailyRollup, HealthScore
    from health.services import events_ingest
    from org.models import Role
    from org.services import person_create
    from tests.integration.workers import running_worker, tasks_routed_to

    accounts = _accounts(args.accounts, "L")
    actor = get_user_model().objects.filter(username=ADMIN_USERNAME).first() or person_create(
        username=ADMIN_USERNAME, role=Role.ADMIN, first_name="Bench", last_name="Freshness"
    )
    per_batch = max(1, args.accounts // 10)
    interval = args.batch / args.rate
    rollup_pending: dict[int, list[float]] = {}
    score_pending: dict[int, list[float]] = {}
    rollups: dict[int, list[float]] = {}
    scores: dict[int, list[float]] = {}
    sent = 0
    with running_worker(concurrency=args.workers) as worker, tasks_routed_to("health.*", worker.queue):
        time.sleep(5)  # the worker starts
        begin = time.monotonic()
        n = 0
        while time.monotonic() - begin < args.seconds:
            touched = [accounts[(n * per_batch + i) % len(accounts)] for i in range(per_batch)]
            now = timezone.now().isoformat()
            events = [
                {
                    "account_external_id": touched[i % per_batch].external_id,
                    "occurred_at": now,
                    "event_name": "report.viewed",
                    "user_id": f"u{i % 20}",
                    "event_id": f"b{n}-{i}",
                }
                for i in range(args.batch)
            ]
            events_ingest(actor=actor, events=events)
            committed = time.time()
            for account in touched:
                rollup_pending.setdefault(account.pk, []).append(committed)
                score_pending.setdefault(account.pk, []).append(committed)
            sent += len(events)
            n += 1
            _observe(rollup_pending, DailyRollup, "computed_at", rollups)
            _observe(score_pending, HealthScore, "computed_at", scores)
            time.sleep(max(0.0, begin + n * interval - time.monotonic()))
        elapsed = time.monotonic() - begin
        deadline = time.monotonic() + 120
        while (rollup_pending or score_pending) and time.monotonic() < deadline:
            time.sleep(0.2)
            _observe(rollup_pending, DailyRollup, "computed_at", rollups)
            _observe(score_pending, HealthScore, "computed_at", scores)
        rescores = worker.task_count("health.score_requests_task")
        rollup_tasks = worker.task_count("health.rollup_accounts_days_task")
    flat_r = [v for values in rollups.values() for v in values]
    flat_s = [v for values in scores.values() for v in values]
    return {
        "events": sent,
        "rate_achieved": sent / elapsed,
        "batches": n,
        "rollup_tasks": rollup_tasks,
        "rescore_tasks": rescores,
        "unmatched_rollups": sum(len(v) for v in rollup_pending.values()),
        "unmatched_scores": sum(len(v) for v in score_pending.values()),
        "rollup_p50": percentile(flat_r, 0.5),
        "rollup_p95": percentile(flat_r, 0.95),
        "rollup_max": max(flat_r, default=float("nan")),
        "score_p50": percentile(flat_s, 0.5),
        "score_p95": percentile(flat_s, 0.95),
        "score_max": max(flat_s, default=float("nan")),
        "score_mean": statistics.mean(flat_s) if flat_s else float("nan"),
    }


def _scan_data(n: int, zone: ZoneInfo, now: datetime) -> list[Any]:
    from health.models import DailyRollup

    accounts = _accounts(n, "S")
    DailyRollup.objects.filter(account__in=accounts).delete()
    today = now.astimezone(zone).date()
    rows = []
    for index, account in enumerate(accounts):
        silent, dropping = index % 33 == 0, index % 33 == 1
        for back in range(1, 36):
            day = today - timedelta(days=back)
            if silent and back <= 1:
                continue
            events = 2 if dropping and back <= 9 else 30
            last_hour = 18 if silent and back == 2 else 21
            rows.append(
                DailyRollup(
                    account=account,
                    day=day,
                    events=events,
                    active_users=5,
                    first_event_at=datetime.combine(day, clock_time(9), tzinfo=zone),
                    last_event_at=datetime.combine(day, clock_time(last_hour), tzinfo=zone),
                )
            )
    DailyRollup.objects.bulk_create(rows, batch_size=5000)
    return accounts


def scans(args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings

    from health.alerts import activity_drop_scan
    from health.models import ActivityAlert, ScoreRequest
    from health.silence import silence_scan

    zone = ZoneInfo(settings.TIME_ZONE)
    now = datetime.combine(datetime.now(zone).date(), clock_time(0, 25), tzinfo=zone)
    accounts = _scan_data(args.scan_accounts, zone, now)
    ids = [a.pk for a in accounts]
    results: dict[str, Any] = {}
    for name, run in (
        ("drop_scan", lambda: activity_drop_scan(day=now.date() - timedelta(days=1), account_ids=ids)),
        ("silence_scan", lambda: silence_scan(now=now, account_ids=ids)),
    ):
        ActivityAlert.objects.filter(account__in=accounts).delete()
        started = time.perf_counter()
        result = run()
        results[name] = {"seconds": time.perf_counter() - started, "raised": len(result.raised)}
    ActivityAlert.objects.filter(account__in=accounts).delete()
    ScoreRequest.objects.filter(account__in=accounts).delete()
    results["ratio"] = results["silence_scan"]["seconds"] / results["drop_scan"]["seconds"]
    return results


def _print_latency(lat: dict[str, Any]) -> None:
    print(
        render_table(
            ["figure", "p50 s", "p95 s", "max s"],
            [
                ["rollup latency (baseline)", lat["rollup_p50"], lat["rollup_p95"], lat["rollup_max"]],
                ["event -> score latency", lat["score_p50"], lat["score_p95"], lat["score_max"]],
            ],
        )
    )
    print(
        f"ingest: {lat['events']:,} events at {lat['rate_achieved']:,.0f}/s in {lat['batches']} batches; "
        f"{lat['rollup_tasks']} rollup tasks, {lat['rescore_tasks']} rescore tasks; "
        f"score/rollup p95 ratio {lat['score_p95'] / lat['rollup_p95']:.1f}; "
        f"unmatched: {lat['unmatched_rollups']} rollups, {lat['unmatched_scores']} scores"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=2000, help="events per second sent")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--scan-accounts", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url")
    parser.add_argument("--no-json", action="store_true")
    args = parser.parse_args()
    if setup(args.database_url, name="freshness") is None:
        return 1
    with measuring_settings():
        lat = latency(args)
        _print_latency(lat)
        with BrokerSpy():  # the scan's rescore messages: nobody consumes them here
            scan = scans(args)
    print(
        render_table(
            ["scan", "accounts", "seconds", "alerts"],
            [
                ["drop_scan (baseline)", args.scan_accounts, scan["drop_scan"]["seconds"], scan["drop_scan"]["raised"]],
                ["silence_scan", args.scan_accounts, scan["silence_scan"]["seconds"], scan["silence_scan"]["raised"]],
            ],
        )
    )
    print(f"silence / drop scan time: {scan['ratio']:.2f}")
    if not args.no_json:
        payload = {
            "when": now_iso(),
            "args": vars(args),
            "environment": environment(),
            "database": database_info(),
            "latency": lat,
            "scans": scan,
        }
        print(f"results: {write_results('freshness', payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
