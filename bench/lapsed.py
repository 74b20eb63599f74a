"""The lapsed-renewals sweep and the forecast accuracy report.

    .venv/bin/python bench/lapsed.py [--renewals 10000] [--repeat 3] [--database-url URL]

On its own database (``var/bench/hourglass_bench_lapsed.sqlite3`` unless
``--database-url`` names another): ``--renewals`` accounts, one renewal each, due in
2025 Q1 (fixed dates); half closed (renewed or churned, most with a CSM's call) with a
health score 100 days before the date, half still open. Then, ``--repeat`` times,
alternating:

- ``renewals_mark_lapsed`` marking the open half lapsed (set-based: one locked read, one
  UPDATE, bulk history and timeline), against the naive loop a service per renewal would
  be (``save()`` with its history row and a ``timeline_record`` each), both put back
  between laps;
- ``forecast_accuracy`` by CSM over the closed half, against ``retention_kpis`` (the KPI
  table) over the same renewals.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/lapsed.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import ForeignData, check_only_bench_accounts, database_info, setup

PREFIX = "BLAPSED"
TODAY = date(2025, 4, 1)
Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def _generate(count: int) -> None:
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from health.models import HealthScore
    from renewals.models import Contract, RenewalOpportunity, RenewalStatus

    if Account.objects.filter(external_id__startswith=PREFIX).count() == count:
        return
    Account.objects.all().delete()
    rng = random.Random(42)
    owners = [get_user_model().objects.get_or_create(username=f"bench.lapsed.{i}")[0] for i in range(10)]
    accounts = Account.objects.bulk_create(
        [
            Account(name=f"Lapsed {i}", external_id=f"{PREFIX}-{i}", owner=owners[i % 10], arr=Decimal("10000"))
            for i in range(count)
        ],
        batch_size=2000,
    )
    dues = [Q1[0] + timedelta(days=rng.randint(0, 89)) for _ in accounts]
    contracts = Contract.objects.bulk_create(
        [
            Contract(account=a, start_date=due - timedelta(days=364), end_date=due, arr=Decimal("10000"))
            for a, due in zip(accounts, dues, strict=True)
        ],
        batch_size=2000,
    )
    renewals = []
    for index, (contract, due) in enumerate(zip(contracts, dues, strict=True)):
        renewal = RenewalOpportunity(
            contract=contract, account=contract.account, due_date=due, forecast_arr=contract.arr
        )
        if index % 2:
            kept = rng.random() < 0.85
            renewal.status = RenewalStatus.RENEWED if kept else RenewalStatus.CHURNED
            renewal.outcome_arr = contract.arr if kept else Decimal("0")
            renewal.closed_at = _noon(due)
            if rng.random() < 0.7:
                renewal.override_probability = Decimal(rng.choice(["0.30", "0.60", "0.90"]))
        renewals.append(renewal)
    RenewalOpportunity.objects.bulk_create(renewals, batch_size=2000)
    HealthScore.objects.bulk_create(
        [
            HealthScore(account=a, day=due - timedelta(days=100), score=s, colour=c)
            for a, due in zip(accounts, dues, strict=True)
            for s, c in [rng.choice([(80, "green"), (55, "yellow"), (30, "red")])]
        ],
        batch_size=2000,
    )


def _noon(day: date) -> datetime:
    from core.clock import local_zone

    return datetime.combine(day, dtime(12), tzinfo=local_zone())


def _reopen() -> None:
    from accounts.models import TimelineEntry
    from renewals.models import RenewalOpportunity, RenewalStatus

    RenewalOpportunity.objects.filter(status=RenewalStatus.LAPSED).update(status=RenewalStatus.OPEN)
    RenewalOpportunity.history.filter(status=RenewalStatus.LAPSED).delete()
    TimelineEntry.objects.filter(kind="renewal_lapsed").delete()


def _naive_lapse() -> int:
    from django.db import transaction

    from accounts.timeline import timeline_record
    from renewals.lapsed import lapsable
    from renewals.models import RenewalStatus

    with transaction.atomic():
        renewals = list(lapsable(today=TODAY).select_related("account").select_for_update())
        for renewal in renewals:
            renewal.status = RenewalStatus.LAPSED
            renewal.save(update_fields=["status", "updated_at"])
            timeline_record(account=renewal.account, kind="renewal_lapsed", title="lapsed")
    return len(renewals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--renewals", type=int, default=10000, help="accounts, one renewal each (10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timings of each way (3)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_lapsed.sqlite3)")
    args = parser.parse_args()
    if setup(args.database_url, name="lapsed") is None:
        return 1
    from django.contrib.auth import get_user_model

    from renewals.accuracy import forecast_accuracy
    from renewals.kpis import retention_kpis
    from renewals.lapsed import renewals_mark_lapsed

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _generate(args.renewals)
    # A superuser is an admin: the whole scope, as the KPI page's admin sees it.
    admin, _ = get_user_model().objects.get_or_create(username="bench.lapsed.admin", defaults={"is_superuser": True})
    laps: dict[str, list[float]] = {"sweep": [], "naive loop": [], "accuracy report": [], "KPI table": []}
    _reopen()
    for _ in range(args.repeat):
        for way in ("sweep", "naive loop"):
            started = time.perf_counter()
            done = renewals_mark_lapsed(today=TODAY).lapsed if way == "sweep" else _naive_lapse()
            laps[way].append(time.perf_counter() - started)
            assert done == args.renewals // 2, done
            _reopen()
        started = time.perf_counter()
        report = forecast_accuracy(user=admin, start=Q1[0], end=Q1[1], group_by="csm")
        laps["accuracy report"].append(time.perf_counter() - started)
        assert report.total.renewals == args.renewals // 2, report.total.renewals
        started = time.perf_counter()
        retention_kpis(user=admin, start=Q1[0], end=Q1[1], group_by="csm")
        laps["KPI table"].append(time.perf_counter() - started)
    print(f"Engine: {database_info()['version']}; {args.renewals} renewals (half open past due, half closed)")
    for way, lap in laps.items():
        print(f"  {way:<16} median {statistics.median(lap) * 1000:9.1f} ms   best {min(lap) * 1000:9.1f} ms")
    sweep, naive = statistics.median(laps["sweep"]), statistics.median(laps["naive loop"])
    report_t, kpi = statistics.median(laps["accuracy report"]), statistics.median(laps["KPI table"])
    print(f"  sweep / naive loop: x{sweep / naive:.2f}; accuracy report / KPI table: x{report_t / kpi:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
