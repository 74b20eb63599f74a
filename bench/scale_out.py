"""Scale out: the nightly recompute and the daily rules on 1 and on 2 Celery worker processes.

    .venv/bin/python bench/scale_out.py \
        --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_scale \
        [--broker-url redis://127.0.0.1:6379/13] [--accounts 20000] [--days 90] [--rounds 1] \
        [--score-chunk 1000] [--stage-chunk 1000] [--reminder-batch 200] [--seed 42] [--reset]

Data (deterministic, generated once and reused while the arguments match): the health
bench's data set (``bench/scoring.py``: ``--accounts`` accounts owned by 20 CSMs, seats,
S-tier stakeholders, touchpoints, NPS, risk flags and ``--days`` days of daily rollups and
feature rollups ending on ``DAY``), plus for every account an active contract ending
between ``DAY - 20`` and ``DAY + 400`` with its open renewal, so about a quarter of them
are owed a renewal reminder on ``DAY``.

One run of "the night" is what beat sends for ``DAY``, all at once on one queue:
``health_scores_dispatch(everything=True)`` (the nightly rescore, one
``health.score_recompute_task`` per ``--score-chunk`` accounts), ``stage_sweep_dispatch``
(lifecycle stages, stage playbooks and the recurring executive reports, one
``playbooks.stage_refresh_task`` per ``--stage-chunk`` accounts) and
``reminder_sweep_dispatch`` (one ``renewals.reminder_batch_task`` per ``--reminder-batch``
renewals owed). Real worker processes (``celery worker --concurrency 1``, separate
processes, the broker given by ``--broker-url``) are started and ready before the
dispatch; the time runs from the dispatch to the last chunk's success in the workers'
logs, and the database is then checked: a score for every account scored, a stage for
every account, every reminder owed claimed. What a run wrote is deleted before the next.

Each round runs the night on 1 worker, then on 2, and prints both times and the ratio
(goal <= 0.6). The machine is shared: run a few rounds and report them all. Besides its own
database the bench only deletes the chunk "done" marks (``chunk-done:*``) of the cache on
the broker's Redis database: give it a Redis database of its own.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREFIX_SEED_NOTE = "accounts are the health bench's (external ids BSCORE<seed>-…)"
CHUNK_TASKS = ("health.score_recompute_task", "playbooks.stage_refresh_task", "renewals.reminder_batch_task")


def setup(args: argparse.Namespace) -> None:
    var_dir = Path(os.environ.get("HOURGLASS_VAR_DIR") or ROOT / "var") / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["HOURGLASS_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["CELERY_BROKER_URL"] = args.broker_url
    os.environ["CACHE_URL"] = args.broker_url  # the workers' chunk marks live in this cache
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = args.queue
    os.environ["HOURGLASS_HEALTH_SCORE_CHUNK"] = str(args.score_chunk)
    os.environ["HOURGLASS_STAGE_SWEEP_CHUNK"] = str(args.stage_chunk)
    os.environ["HOURGLASS_RENEWAL_REMINDER_BATCH_SIZE"] = str(args.reminder_batch)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def data_ready(args: argparse.Namespace) -> dict[str, int]:
    """The health bench's data set plus one open renewal per account (made once, kept)."""
    from accounts.models import Account
    from bench import scoring
    from renewals.models import Contract, ContractStatus, RenewalOpportunity, RenewalStatus

    spec = scoring.Spec(accounts=args.accounts, days=args.days, seed=args.seed)
    foreign = Account.objects.exclude(external_id__startswith=spec.prefix).count()
    if foreign and not args.reset:
        sys.exit(f"error: the database holds {foreign:,} accounts this bench did not make; use a database of its own")
    if not scoring.dataset_present(spec) or args.reset:
        print(f"Generating {args.accounts:,} accounts with {args.days} days of rollups (once) ...", flush=True)
        scoring.wipe()
        scoring.generate(spec, lambda line: print(line, flush=True))
        scoring.set_key_features()
    if RenewalOpportunity.objects.count() != Account.objects.count():
        RenewalOpportunity.objects.all().delete()
        Contract.objects.all().delete()
        rng = random.Random(args.seed)
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        contracts = []
        for pk in ids:
            end = scoring.DAY + timedelta(days=rng.randrange(-20, 400))
            contracts.append(
                Contract(
                    account_id=pk,
                    start_date=end - timedelta(days=364),
                    end_date=end,
                    arr=Decimal(rng.randrange(5_000, 500_000, 500)),
                    currency="CNY",
                    status=ContractStatus.ACTIVE,
                )
            )
        Contract.objects.bulk_create(contracts, batch_size=5000)
        RenewalOpportunity.objects.bulk_create(
            [
                RenewalOpportunity(
                    contract_id=c.pk, account_id=c.account_id, due_date=c.end_date, forecast_arr=c.arr,
                    status=RenewalStatus.OPEN,
                )
                for c in contracts
            ],
            batch_size=5000,
        )  # fmt: skip
        scoring.vacuum_analyze()
    return {"accounts": Account.objects.count()}


def forget_night(started_at: Any) -> None:
    """Delete what a night wrote (raw deletes: no signals, no history rows of the
    deletion), and the chunk marks, so that the next run does the same work."""
    import redis
    from django.conf import settings

    from accounts.models import TimelineEntry
    from bench import scoring
    from core.models import Notification, OutboundEmail
    from health.models import HealthScore
    from playbooks.models import AccountStage, Task
    from renewals.models import RenewalReminder

    HistoricalTask = Task.history.model
    for queryset in (
        HealthScore.objects.filter(day=scoring.DAY),
        AccountStage.objects.all(),
        RenewalReminder.objects.all(),
        Notification.objects.all(),
        OutboundEmail.objects.all(),
        TimelineEntry.objects.filter(created_at__gte=started_at),
        HistoricalTask.objects.filter(history_date__gte=started_at),
        Task.objects.all(),
    ):
        queryset._raw_delete(queryset.db)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(match="*chunk-done:*", count=1000):
        client.delete(key)
    scoring.vacuum_analyze(HealthScore, AccountStage, RenewalReminder, Notification, OutboundEmail, TimelineEntry, Task)


def owed_reminders() -> int:
    from bench import scoring
    from renewals.reminders.due import due_batches

    return sum(len(batch.rows) for batch in due_batches(today=scoring.DAY))


def run_night(workers: int, args: argparse.Namespace, expected: dict[str, int]) -> float:
    from django.db import close_old_connections

    from accounts.models import Account
    from bench import scoring
    from health.models import HealthScore
    from health.tasks import health_scores_dispatch
    from playbooks.models import AccountStage
    from playbooks.tasks import stage_sweep_dispatch
    from renewals.models import RenewalReminder
    from renewals.reminders import reminder_sweep_dispatch
    from tests.integration.workers import running_worker, wait_for

    with _workers(workers, args.queue, running_worker) as started:
        for worker in started:
            if not wait_for(lambda w=worker: "ready." in w.log_path.read_text(errors="replace"), timeout=120):
                sys.exit(f"error: a worker did not start:\n{worker.logs()}")
        began = time.perf_counter()
        sent = health_scores_dispatch(everything=True, day=scoring.DAY)
        stage_sweep_dispatch(day=scoring.DAY)
        sent += -(-Account.objects.count() // args.stage_chunk)
        sent += reminder_sweep_dispatch(today=scoring.DAY).tasks

        def finished() -> bool:
            return sum(w.task_count(name) for w in started for name in CHUNK_TASKS) >= sent

        if not wait_for(finished, timeout=args.timeout, interval=0.1):
            sys.exit("error: the night did not finish in time:\n" + "\n".join(w.logs() for w in started))
        seconds = time.perf_counter() - began
    close_old_connections()
    got = {
        "scores": HealthScore.objects.filter(day=scoring.DAY).count(),
        "stages": AccountStage.objects.count(),
        "reminders": RenewalReminder.objects.count(),
    }
    for key, value in expected.items():
        if got[key] != value:
            sys.exit(f"error: {key}: {got[key]:,} in the database after the run, {value:,} expected")
    return seconds


class _workers:
    """``count`` workers on one queue, started together."""

    def __init__(self, count: int, queue: str, factory: Any) -> None:
        from contextlib import ExitStack

        self.count, self.queue, self.factory, self.stack = count, queue, factory, ExitStack()

    def __enter__(self) -> list[Any]:
        return [self.stack.enter_context(self.factory(queue=self.queue)) for _ in range(self.count)]

    def __exit__(self, *exc: object) -> None:
        self.stack.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database of the bench's own")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--queue", default="bench-scale-out")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--score-chunk", type=int, default=1000)
    parser.add_argument("--stage-chunk", type=int, default=1000)
    parser.add_argument("--reminder-batch", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reset", action="store_true", help="delete every account first")
    args = parser.parse_args()
    setup(args)
    import timeit

    from django.db import connection
    from django.utils import timezone

    from health.tasks import _scored_account_ids

    counts = data_ready(args)
    started_at = timezone.now()
    forget_night(started_at)
    expected = {"scores": len(_scored_account_ids()), "stages": counts["accounts"], "reminders": owed_reminders()}
    speed = min(timeit.repeat("sum(range(1000000))", number=1, repeat=5)) * 1000
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM health_dailyrollup")
        rollups = cursor.fetchone()[0]
    print(
        f"{counts['accounts']:,} accounts, {rollups:,} daily rollups; per night {expected['scores']:,} scores, "
        f"{expected['stages']:,} stages, {expected['reminders']:,} reminders; chunks {args.score_chunk}/"
        f"{args.stage_chunk}/{args.reminder_batch}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"sum(range(1000000)) {speed:.0f} ms",
        flush=True,
    )
    ratios = []
    for number in range(1, args.rounds + 1):
        one = run_night(1, args, expected)
        forget_night(started_at)
        two = run_night(2, args, expected)
        forget_night(started_at)
        ratios.append(two / one)
        print(
            f"round {number}: 1 worker {one:.1f} s (baseline), 2 workers {two:.1f} s, ratio {two / one:.2f} "
            f"(goal <= 0.60); load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    print("ratios: " + ", ".join(f"{ratio:.2f}" for ratio in ratios))


if __name__ == "__main__":
    main()
