"""The daily lifecycle-stage / playbook sweep and the "My day" page.

    .venv/bin/python bench/playbooks.py [--accounts 100000] [--book 2000] [--chunk 1000] \
        [--requests 100] [--seed 42] [--database-url URL] [--reset] [--no-json]

Data (deterministic; generated once and reused while the arguments stay the same):
``--accounts`` accounts (``accounts.demo.generate_accounts``: go-live dates over the last
three years and the next 45 days, about 6 % churned) owned by 20 CSMs, of which
``bench.pb.csm.0`` owns ``--book`` of them (the "My day" user); the built-in playbooks.

Measured, in-process (no Celery worker; what ``stage_sweep_task`` fans out as tasks):

- ``sweep_first``: ``stage_refresh_task`` over every account in chunks of ``--chunk``
  with no stage stored yet: every account gets its stage, a timeline entry and its
  stage playbook's tasks (a one-off, after an import or the first deploy);
- ``sweep_daily``: the same sweep for the next day: the nightly run (the accounts whose
  stage changes overnight get their entries and tasks; the rest are checked only);
- ``sweep_again``: the same day once more (nothing to do: idempotency's cost);
- ``my_day``: ``GET /my-day/`` as the CSM with ``--book`` accounts (full request through
  the Django test client: session, middleware, selectors, template), ``--requests``
  times after two warm-up requests; p50 / p95 / max and the query count.

Stages, tasks and timeline entries are deleted at the start of every run. Prints a table
and writes ``bench/results/playbooks/<timestamp>.json``. Goals (issue 5): the sweep
over 100,000 accounts ≤ 10 s; "My day" p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/playbooks.py``: import from the repo root
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
    vacuum_analyze,
    write_results,
)

PREFIX = "BPLAY"  # external ids: BPLAY42-000001 …
CSM_PREFIX = "bench.pb.csm."
CSMS = 20
GOALS = {"sweep_daily": 10.0, "my_day_p95_ms": 100.0}


@dataclass(frozen=True)
class Spec:
    accounts: int
    book: int
    seed: int

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.seed}-"


@dataclass
class Phase:
    key: str
    description: str
    seconds: float
    accounts_per_s: float
    changed: int
    tasks_created: int


def dataset_present(spec: Spec) -> bool:
    from accounts.models import Account

    total = Account.objects.count()
    mine = Account.objects.filter(owner__username=f"{CSM_PREFIX}0").count()
    return (
        total == spec.accounts
        and mine == spec.book
        and not Account.objects.exclude(external_id__startswith=spec.prefix).exists()
    )


def wipe() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from accounts.models import Account

    if connection.vendor == "postgresql":
        empty_tables(Account, cascade=True)
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        Account.objects.all().delete()
        Account.history.all().delete()
        get_user_model().objects.filter(username__startswith=CSM_PREFIX).delete()


def generate(spec: Spec, today: date) -> int:
    from django.db import transaction

    from accounts.demo import generate_accounts
    from accounts.models import Account
    from org.models import Role
    from org.services import person_create

    rng = random.Random(spec.seed)
    with transaction.atomic():
        csms = [
            person_create(
                username=f"{CSM_PREFIX}{i}",
                email=f"pb{i}@bench.example",
                first_name="Bench",
                last_name=f"CSM {i}",
                role=Role.CSM,
            )
            for i in range(CSMS)
        ]
    rows = list(
        generate_accounts(
            rng=rng,
            count=spec.accounts,
            owners_by_industry={},
            fallback_owners=csms,
            today=today,
            external_id_prefix=spec.prefix.rstrip("-"),
        )
    )
    # ``--book`` accounts for the first CSM, the rest spread over the others.
    for number, account in enumerate(rows):
        account.owner = csms[0] if number < spec.book else csms[1 + number % (CSMS - 1)]
    Account.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def clear_results() -> None:
    from accounts.models import TimelineEntry
    from playbooks.models import AccountStage, Task, TaskComment

    empty_tables(TaskComment, Task, AccountStage, cascade=True)  # only bench data here
    TimelineEntry.objects.filter(kind="stage_changed").delete()


def run_sweep(key: str, description: str, ids: list[int], chunk: int, day: date) -> Phase:
    from playbooks.models import Task
    from playbooks.tasks import stage_refresh_task

    before = Task.objects.count()
    changed = 0
    started = time.perf_counter()
    starts = ids[::chunk]
    for number, first in enumerate(starts):
        # What the worker runs for each message of ``stage_sweep_task``'s fan-out.
        last = starts[number + 1] - 1 if number + 1 < len(starts) else None
        changed += stage_refresh_task.run(first_id=first, last_id=last, day=day.isoformat())
    seconds = time.perf_counter() - started
    return Phase(key, description, seconds, len(ids) / seconds, changed, Task.objects.count() - before)


def run_my_day(username: str, requests: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    url = reverse("my_day")
    for _ in range(2):
        assert client.get(url).status_code == 200
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: the request's start and end close and
    # reopen the connection, which empties the captured log.
    with connection.execute_wrapper(count):
        client.get(url)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    samples.sort()
    return {
        "requests": requests,
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[max(round(0.95 * len(samples)) - 1, 0)],
        "max_ms": samples[-1],
        "queries": len(executed),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--book", type=int, default=2000, help="accounts of the My day CSM")
    parser.add_argument("--chunk", type=int, default=1000, help="accounts per sweep task")
    parser.add_argument("--requests", type=int, default=100, help="My day requests measured")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reset", action="store_true", help="regenerate the data set")
    parser.add_argument("--no-json", action="store_true", help="do not write a results file")
    parser.add_argument("--day-offset", type=int, default=1, help="the daily sweep runs for today + this many days")
    parser.add_argument(
        "--daily-only",
        action="store_true",
        help="keep the stages and tasks of the previous run: skip sweep_first (it takes minutes at 100,000)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    spec = Spec(accounts=args.accounts, book=min(args.book, args.accounts), seed=args.seed)
    started = time.perf_counter()
    database = setup(args.database_url, name="playbooks")
    if database is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    from accounts.models import Account
    from core.clock import local_date
    from playbooks.defaults import install_default_playbooks
    from playbooks.models import AccountStage, Playbook, PlaybookStep, Task

    today = local_date()
    install_default_playbooks(Playbook, PlaybookStep)
    if args.reset or not dataset_present(spec):
        mark = time.perf_counter()
        print(f"Generating {spec.accounts:,} accounts (bulk_create) ...")
        wipe()
        with measuring_settings():
            generate(spec, today)
        print(f"Generated in {time.perf_counter() - mark:.1f} s")
    else:
        print("Data set already present; reusing it.")
    daily_only = args.daily_only and AccountStage.objects.exists()
    if not daily_only:
        clear_results()
    vacuum_analyze()
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    db = database_info()
    print(f"Engine: {db['version']}; {len(ids):,} accounts, chunks of {args.chunk}")

    phases: list[Phase] = []
    with measuring_settings(), BrokerSpy() as broker:
        if not daily_only:
            phases.append(run_sweep("sweep_first", f"no stage stored yet, {today}", ids, args.chunk, today))
            print(f"  sweep_first  {phases[-1].seconds:7.2f} s")
            vacuum_analyze(AccountStage, Task)
        tomorrow = today + timedelta(days=args.day_offset)
        phases.append(run_sweep("sweep_daily", f"the nightly run, {tomorrow}", ids, args.chunk, tomorrow))
        print(f"  sweep_daily  {phases[-1].seconds:7.2f} s")
        phases.append(run_sweep("sweep_again", f"the same day again, {tomorrow}", ids, args.chunk, tomorrow))
        print(f"  sweep_again  {phases[-1].seconds:7.2f} s")
        vacuum_analyze(AccountStage, Task)
        my_day = run_my_day(f"{CSM_PREFIX}0", args.requests)
    book_tasks = Task.objects.filter(assignee__username=f"{CSM_PREFIX}0").count()
    print()
    print(
        render_table(
            ["phase", "seconds", "accounts/s", "stage changes", "tasks created"],
            [[p.key, p.seconds, p.accounts_per_s, p.changed, p.tasks_created] for p in phases],
        )
    )
    print()
    print(
        f"My day for a CSM with {spec.book:,} accounts and {book_tasks:,} tasks: p50 {my_day['p50_ms']:.1f} ms, "
        f"p95 {my_day['p95_ms']:.1f} ms, max {my_day['max_ms']:.1f} ms, {my_day['queries']} queries "
        f"({my_day['requests']} requests)"
    )
    daily = next(p.seconds for p in phases if p.key == "sweep_daily")
    print(
        f"Goals: daily sweep {daily:.2f} s (goal ≤ {GOALS['sweep_daily']:.0f} s) "
        f"{'met' if daily <= GOALS['sweep_daily'] else 'MISSED'}; My day p95 {my_day['p95_ms']:.1f} ms "
        f"(goal < {GOALS['my_day_p95_ms']:.0f} ms) {'met' if my_day['p95_ms'] < GOALS['my_day_p95_ms'] else 'MISSED'}"
    )
    if not args.no_json:
        path = write_results(
            "playbooks",
            {
                "finished_at": now_iso(),
                "spec": asdict(spec),
                "chunk": args.chunk,
                "database": db,
                "environment": environment(),
                "phases": [asdict(p) for p in phases],
                "my_day": {**my_day, "book_accounts": spec.book, "book_tasks": book_tasks},
                "published_messages": broker.published,
                "goals": GOALS,
                "total_seconds": time.perf_counter() - started,
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
