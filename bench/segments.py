"""Saved segments: refreshing a segment's members (``workspace.segments.refresh``).

    .venv/bin/python bench/segments.py [--accounts 20000] [--repeat 3] [--database-url URL]

On its own database (``var/bench/hourglass_bench_segments.sqlite3`` unless
``--database-url`` names another): ``--accounts`` accounts owned by 20 CSMs, each with a
health score today (a third red) and a touchpoint 10 or 60 days ago. The segment is
"red and no touch in 30 days" (the book's filter). Measured, ``--repeat`` times:

- the first refresh (every matching account enters) and a refresh after a tenth of the
  accounts changed colour (both ways), set-based: the diff in SQL, one insert, one delete;
- against the naive way a per-account loop would do the second one: each account's
  latest colour and last touch read and its membership written one by one (a
  ``--slice``-account slice, scaled to the whole book);
- the sidebar count for one CSM (``segment_counts``).
Prints the medians, the ratio to the naive loop and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/segments.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import ForeignData, check_only_bench_accounts, database_info, setup

PREFIX = "BSEGM"
FILTERS = {"health": ["red"], "no_touch_days": ["30"]}


def _generate(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.models import Account, TimelineEntry
    from health.models import HealthScore

    if Account.objects.filter(external_id__startswith=PREFIX).count() == count:
        return
    Account.objects.all().delete()
    rng = random.Random(42)
    owners = [get_user_model().objects.get_or_create(username=f"bench.segments.{i}")[0] for i in range(20)]
    accounts = Account.objects.bulk_create(
        [
            Account(name=f"Segment {i}", external_id=f"{PREFIX}-{i}", owner=owners[i % 20], arr=Decimal("10000"))
            for i in range(count)
        ],
        batch_size=2000,
    )
    today, now = timezone.localdate(), timezone.now()
    HealthScore.objects.bulk_create(
        [HealthScore(account=a, day=today, score=50, colour=rng.choice(["red", "yellow", "green"])) for a in accounts],
        batch_size=2000,
    )
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                account=a, kind="call", is_touchpoint=True, title="call",
                occurred_at=now - timedelta(days=rng.choice([10, 60])),
            )
            for a in accounts
        ],
        batch_size=2000,
    )  # fmt: skip


def _shuffle_colours(fraction: float, seed: int) -> None:
    from health.models import HealthScore

    rng = random.Random(seed)
    ids = list(HealthScore.objects.values_list("pk", flat=True))
    for colour in ("red", "green"):
        chosen = rng.sample(ids, int(len(ids) * fraction / 2))
        HealthScore.objects.filter(pk__in=chosen).update(colour=colour)


def _naive(segment: Any, accounts: list[Any]) -> int:
    """What a loop per account would do: read its figures, then write its membership."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import SegmentMember, TimelineEntry
    from health.models import HealthScore

    since = timezone.now() - timedelta(days=30)
    changed = 0
    with transaction.atomic():
        for account in accounts:
            latest = HealthScore.objects.filter(account=account).order_by("-day").values_list("colour", flat=True)
            colour = latest.first()
            touched = TimelineEntry.objects.filter(account=account, is_touchpoint=True, occurred_at__gte=since).exists()
            wanted = colour == "red" and not touched
            member = SegmentMember.objects.filter(segment=segment, account=account).exists()
            if wanted and not member:
                SegmentMember.objects.create(segment=segment, account=account)
                changed += 1
            elif member and not wanted:
                SegmentMember.objects.filter(segment=segment, account=account).delete()
                changed += 1
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=20000, help="accounts (20,000)")
    parser.add_argument("--slice", type=int, default=2000, help="accounts in the naive loop's slice (2,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timings of each way (3)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_segments.sqlite3)")
    args = parser.parse_args()
    if setup(args.database_url, name="segments") is None:
        return 1
    from django.contrib.auth import get_user_model

    from accounts.models import Account, SavedSegment, SegmentMember
    from accounts.saved_segments import segment_counts, segment_create
    from workspace.segments.refresh import segment_refresh

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _generate(args.accounts)
    admin, _ = get_user_model().objects.get_or_create(username="bench.segments.admin", defaults={"is_superuser": True})
    csm = get_user_model().objects.get(username="bench.segments.0")
    SavedSegment.objects.all().delete()
    segment = segment_create(actor=admin, name="Red, no touch in 30 days", filters=FILTERS)
    laps: dict[str, list[float]] = {"first refresh": [], "refresh after 10% moved": [], "naive loop (scaled)": []}
    counts: list[float] = []
    moved = 0
    for lap in range(args.repeat):
        SegmentMember.objects.filter(segment=segment).delete()
        started = time.perf_counter()
        segment_refresh(segment=segment)
        laps["first refresh"].append(time.perf_counter() - started)
        _shuffle_colours(0.1, seed=lap)
        started = time.perf_counter()
        outcome = segment_refresh(segment=segment)
        laps["refresh after 10% moved"].append(time.perf_counter() - started)
        moved = outcome.entered + outcome.left
        _shuffle_colours(0.1, seed=100 + lap)
        accounts = list(Account.objects.order_by("pk")[: args.slice])
        started = time.perf_counter()
        _naive(segment, accounts)
        laps["naive loop (scaled)"].append((time.perf_counter() - started) * args.accounts / args.slice)
        started = time.perf_counter()
        segment_counts(user=csm, segments=[segment])
        counts.append(time.perf_counter() - started)
    members = SegmentMember.objects.filter(segment=segment).count()
    print(f"Engine: {database_info()['version']}; {args.accounts} accounts; load average {os.getloadavg()}")
    print(f"  members after the last refresh: {members}; moved in the last 10% change: {moved}")
    for way, values in laps.items():
        print(f"  {way:<26} median {statistics.median(values) * 1000:10.1f} ms   best {min(values) * 1000:10.1f} ms")
    print(f"  sidebar count (one CSM)    median {statistics.median(counts) * 1000:10.1f} ms")
    refresh, naive = statistics.median(laps["refresh after 10% moved"]), statistics.median(laps["naive loop (scaled)"])
    print(f"  refresh / naive loop: x{refresh / naive:.3f} (naive loop over {args.slice} accounts, scaled)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
