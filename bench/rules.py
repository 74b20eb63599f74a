"""Scheduled rules over 100,000 accounts: the sweep, the preview, the dry run, and the
same rule checked account by account in Python over a 5,000-account slice.

    createdb -h 127.0.0.1 -U postgres hourglass_bench_rules
    .venv/bin/python bench/rules.py --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_rules
    .venv/bin/python bench/rules.py [--accounts 100000] [--slice 5000] [--seed 7] [--database-url URL]

Data (its own, deterministic, ``BRULE`` accounts; generated once, reused while
``--accounts`` matches): 20 CSMs and an admin; ``accounts.demo.generate_accounts``
accounts; one health score each (yesterday: 15 % red, 25 % yellow, the rest green); one
open renewal each, due from 30 days ago to 365 days ahead; a touchpoint on half of them.

The rule is the issue's: a daily rule "health red and days to renewal ≤ 120 and no touch
for 14 days" with 3 steps. Measured in-process (what ``rules_sweep_task`` and its chunk
tasks do, without a broker), its tasks deleted first:

- ``select``: ``rules_sweep``: the matching account ids not yet fired today (one query);
- ``sweep``: ``select`` plus every chunk fired (``rule_fire_chunk``: re-check, create
  the tasks, history): the figure the ≤ 10 s goal is about;
- ``sweep_again``: the same day once more (nothing to send);
- ``preview``: ``rule_preview`` as the admin (all accounts: the count and the first 20);
- ``dry_run``: ``rule_dry_run`` as the admin (30 daily runs: 30 queries);
- ``slice_set`` / ``slice_loop``: over the first ``--slice`` accounts, the set-based
  query against a Python loop that reads each account's latest score, next renewal and
  last touch (3 queries an account) and checks the conditions; the ratio is loop / set.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/rules.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    ForeignData,
    check_only_bench_accounts,
    database_info,
    empty_tables,
    environment,
    render_table,
    setup,
    timed,
    vacuum_analyze,
    write_results,
)

PREFIX = "BRULE"
BATCH = 5000
TODAY = date(2026, 12, 1)
ADMIN = "bench.rules.admin"
CONDITIONS = [
    {"field": "health_colour", "op": "eq", "value": "red"},
    {"field": "days_to_renewal", "op": "lte", "value": "120"},
    {"field": "last_touch_days", "op": "gte", "value": "14"},
]


def _generate(count: int, seed: int) -> None:
    from accounts.demo import generate_accounts
    from accounts.models import Account, TimelineEntry
    from core.clock import local_day_start
    from health.models import HealthScore
    from org.models import Role
    from org.services import person_create
    from renewals.models import Contract, RenewalOpportunity

    rng = random.Random(seed)
    person_create(username=ADMIN, role=Role.ADMIN, first_name="Bench", last_name="Admin")
    csms = [person_create(username=f"bench.rules.csm.{n:02d}", role=Role.CSM) for n in range(20)]
    accounts = generate_accounts(
        rng=rng, count=count, owners_by_industry={}, fallback_owners=csms, today=TODAY, external_id_prefix=PREFIX
    )
    batch: list[Any] = []
    for account in accounts:
        batch.append(account)
        if len(batch) == BATCH:
            Account.objects.bulk_create(batch)
            batch = []
    Account.objects.bulk_create(batch)
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        scores, contracts, touches = [], [], []
        for pk in chunk:
            roll = rng.random()
            colour = "red" if roll < 0.15 else "yellow" if roll < 0.40 else "green"
            score = {"red": 30, "yellow": 60, "green": 85}[colour]
            scores.append(HealthScore(account_id=pk, day=TODAY - timedelta(days=1), score=score, colour=colour))
            end = TODAY + timedelta(days=rng.randint(-30, 365))
            contracts.append(
                Contract(account_id=pk, start_date=end - timedelta(days=365), end_date=end, arr=Decimal(50000))
            )
            if rng.random() < 0.5:
                when = local_day_start(TODAY - timedelta(days=rng.randint(0, 60))) + timedelta(hours=10)
                touches.append(
                    TimelineEntry(account_id=pk, kind="call", is_touchpoint=True, title="Call", occurred_at=when)
                )
        HealthScore.objects.bulk_create(scores)
        made = Contract.objects.bulk_create(contracts)
        RenewalOpportunity.objects.bulk_create(
            [RenewalOpportunity(contract=c, account_id=c.account_id, due_date=c.end_date) for c in made]
        )
        TimelineEntry.objects.bulk_create(touches)
    vacuum_analyze()


def _rule() -> Any:
    from playbooks.models import Playbook, PlaybookStep, TriggerKind

    rule, created = Playbook.objects.get_or_create(
        name="Bench rescue plan",
        defaults={"trigger": TriggerKind.SCHEDULE, "conditions": CONDITIONS, "active": True},
    )
    if created:
        for order, title in enumerate(["Call the sponsor", "Agree a plan", "Review"]):
            PlaybookStep.objects.create(playbook=rule, order=order, title=title, due_offset_days=order * 7)
    return rule


def _loop(account_ids: list[int]) -> int:
    """The same rule, account by account (what a rules engine without SQL would do)."""
    from accounts.models import TimelineEntry
    from core.clock import local_date
    from health.models import HealthScore
    from renewals.models import RenewalOpportunity
    from renewals.selectors import UNDECIDED_STATUSES

    matched = 0
    for pk in account_ids:
        score = HealthScore.objects.filter(account_id=pk, day__lte=TODAY).order_by("-day").values("colour").first()
        if not score or score["colour"] != "red":
            continue
        due = (
            RenewalOpportunity.objects.filter(account_id=pk, status__in=UNDECIDED_STATUSES)
            .order_by("due_date")
            .values_list("due_date", flat=True)
            .first()
        )
        if due is None or (due - TODAY).days > 120:
            continue
        last = (
            TimelineEntry.objects.filter(account_id=pk, is_touchpoint=True)
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        if last is not None and (TODAY - local_date(last)).days < 14:
            continue
        matched += 1
    return matched


def _measure(slice_size: int) -> tuple[list[list[Any]], dict[str, Any]]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Account
    from playbooks.models import Task
    from playbooks.rules.evaluate import rule_accounts, rule_dry_run, rule_preview
    from playbooks.rules.sweep import rule_fire_chunk, rules_sweep

    rule = _rule()
    Task.objects.filter(playbook=rule).delete()
    admin = User.objects.get(username=ADMIN)
    chunks, select_s = timed(lambda: rules_sweep(day=TODAY))
    matched = sum(len(c.account_ids) for c in chunks)

    def fire() -> int:
        return sum(
            rule_fire_chunk(playbook_id=c.playbook_id, account_ids=c.account_ids, episode=c.episode_key, day=TODAY)
            for c in chunks
        )

    created, fire_s = timed(fire)
    again, again_s = timed(lambda: rules_sweep(day=TODAY))
    preview, preview_s = timed(lambda: rule_preview(rule, user=admin, today=TODAY))
    run, dry_s = timed(lambda: rule_dry_run(rule, user=admin, today=TODAY))
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True)[:slice_size])
    first, last = ids[0], ids[-1]
    with CaptureQueriesContext(connection) as set_queries:
        slice_set, set_s = timed(
            lambda: len(
                list(
                    rule_accounts(
                        rule, today=TODAY, accounts=Account.objects.filter(pk__gte=first, pk__lte=last)
                    ).values_list("pk", flat=True)
                )
            )
        )
    slice_loop, loop_s = timed(lambda: _loop(ids))
    assert slice_set == slice_loop, (slice_set, slice_loop)
    rows = [
        ["select (matching ids, 1 query)", select_s, matched],
        ["sweep (select + fire every chunk)", select_s + fire_s, created],
        ["sweep_again (same day)", again_s, sum(len(c.account_ids) for c in again)],
        ["preview (admin, count + 20)", preview_s, preview.count],
        ["dry_run (30 days)", dry_s, run.tasks],
        [f"slice_set ({slice_size:,} accounts, {len(set_queries)} query)", set_s, slice_set],
        [f"slice_loop ({slice_size:,} accounts, 3 queries each)", loop_s, slice_loop],
    ]
    figures = {
        "matched": matched,
        "tasks_created": created,
        "select_s": select_s,
        "sweep_s": select_s + fire_s,
        "sweep_again_s": again_s,
        "preview_s": preview_s,
        "preview_count": preview.count,
        "dry_run_s": dry_s,
        "dry_run_tasks": run.tasks,
        "dry_run_accounts": run.accounts,
        "slice_set_s": set_s,
        "slice_loop_s": loop_s,
        "loop_over_set": loop_s / set_s if set_s else None,
    }
    return rows, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--slice", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if setup(args.database_url, name="rules") is None:
        return 1
    from accounts.models import Account

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if Account.objects.count() != args.accounts:
        from django.contrib.auth.models import User

        from health.models import HealthScore

        print(f"Generating {args.accounts:,} accounts …")
        empty_tables(HealthScore, Account, cascade=True)
        User.objects.filter(username__startswith="bench.rules.").delete()
        _generate(args.accounts, args.seed)
    load = os.getloadavg()
    rows, figures = _measure(args.slice)
    print(render_table(["measure", "seconds", "accounts / tasks"], rows))
    ratio = figures["loop_over_set"]
    print(
        f"\nloop / set over the slice: {ratio:,.1f}x; the loop extrapolated to {args.accounts:,} accounts: "
        f"{figures['slice_loop_s'] * args.accounts / args.slice:,.0f} s against the sweep's {figures['sweep_s']:.2f} s"
    )
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    path = write_results(
        "rules",
        {
            "figures": figures,
            "accounts": args.accounts,
            "slice": args.slice,
            "load": load,
            "database": database_info(),
            "environment": environment(),
        },
    )
    print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
