"""Renewal reminders while a worker is SIGKILLed mid-delivery: missing, duplicates, lateness.

    .venv/bin/python bench/kill_delivery.py [--trials 20] [--baseline 3] [--renewals 500] \
        [--database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_kill] \
        [--broker-url redis://127.0.0.1:6379/5] [--lease 60] [--flush 15] [--smtp-delay 0.005] [--seed 22]

Each trial (``tests/delivery/harness.py``) starts two real Celery workers on one queue and a
real SMTP server (aiosmtpd) that notes when each message arrived, sends the reminder sweep
twice at once for ``--renewals`` renewals owed a reminder today, plays beat by sending the
outbox flush every ``--flush`` seconds, and, once every reminder is queued and a worker is
half-way through sending them (after a random number of messages arrived), SIGKILLs that
worker's pool process or the whole worker with its pool (alternately). The workers run with
``HOURGLASS_OUTBOX_LEASE_SECONDS=--lease``. The baseline trials do the same without a kill
(lateness is then measured from the same random moment).

Prints one line per trial and the totals: missing, duplicates (and whether each carried its
first copy's Message-ID), the longest time from the kill to a reminder's delivery, with the
trial count; and the same for the baseline. Goal (issue 22): over 20 trials 0 missing,
<= 1 duplicate, every reminder <= 90 s after the kill. Writes nothing but its own database.

It also measures the duplicate window itself: the workers load ``kill_delivery_probe/``
(``sitecustomize``), which notes for every message marked sent how long after the SMTP
server's 250 had been read the mark statement reached the database driver ("250 read ->
mark sent", the worker's own part), how long after the message's final dot had been
written ("final dot -> mark sent": the whole window, including the server's processing
and the 250's way back), and how long the statement took to come back ("mark round trip",
not a window: the database has the statement by then); printed as percentiles over all
messages of the run. A SIGKILL inside the window leaves a delivered message unmarked (one
duplicate). Run it from a checkout of another commit (same script and probe) for that
commit's window.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(args: argparse.Namespace) -> None:
    var_dir = Path(os.environ.get("HOURGLASS_VAR_DIR") or ROOT / "var") / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["HOURGLASS_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{var_dir / 'hourglass_bench_kill.sqlite3'}"
    os.environ["CELERY_BROKER_URL"] = args.broker_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def renewals_ready(count: int) -> None:
    """``count`` renewals owed a reminder today, made once and kept (``kill-bench`` accounts)."""
    from accounts.models import Account
    from org.models import Role
    from renewals.models import RenewalOpportunity
    from tests.delivery.harness import make_due_renewals
    from tests.factories import make_person

    if Account.objects.exclude(external_id__startswith="kill-bench-").exists():
        sys.exit("error: the database holds accounts this bench did not make; give it its own database")
    if RenewalOpportunity.objects.count() == count:
        return
    Account.objects.all().delete()
    from django.contrib.auth import get_user_model

    owners = list(get_user_model().objects.filter(username__startswith="kill-csm-")) or [
        make_person(Role.CSM, username=f"kill-csm-{i}", email=f"kill-csm-{i}@example.com") for i in range(20)
    ]
    for renewal in make_due_renewals(owners, count):
        Account.objects.filter(pk=renewal.account_id).update(external_id=f"kill-bench-{renewal.account_id}")


def summary(label: str, results: list) -> str:
    if not results:
        return f"{label}: no trials"
    return (
        f"{label}: {len(results)} trials, {sum(r.expected for r in results)} reminders: "
        f"missing {sum(r.missing for r in results)}, duplicates {sum(r.duplicates for r in results)} "
        f"(same Message-ID: {all(r.duplicates_same_id for r in results)}), "
        f"max lateness after the kill {max(r.late_after_kill for r in results):.1f} s"
    )


PROBE = Path(__file__).resolve().parent / "kill_delivery_probe"


def probe_env(directory: Path) -> dict[str, str]:
    """Worker environment that loads the window probe, writing into ``directory``."""
    path = os.pathsep.join(filter(None, [str(PROBE), os.environ.get("PYTHONPATH", "")]))
    return {"PYTHONPATH": path, "HOURGLASS_KILL_PROBE_DIR": str(directory)}


def windows(directory: Path) -> dict[str, list[float]]:
    """Microseconds per message the probe saw: reply -> mark, dot -> mark, mark round trip."""
    found: dict[str, list[float]] = {"reply": [], "dot": [], "trip": []}
    for path in directory.glob("marks-*.txt"):
        for line in path.read_text().splitlines():
            replied, entered, returned, written = (float(x) for x in line.split())
            found["reply"].append((entered - replied) * 1e6)
            found["dot"].append((entered - written) * 1e6)
            found["trip"].append((returned - entered) * 1e6)
    return found


def percentiles(label: str, values: list[float]) -> str:
    if len(values) < 2:
        return f"{label}: {len(values)} samples"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (
        f"{label}: {len(values)} messages, p50 {cuts[49]:.0f} us, p90 {cuts[89]:.0f} us, "
        f"p99 {cuts[98]:.0f} us, max {max(values):.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=3)
    parser.add_argument("--renewals", type=int, default=500)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--broker-url", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--lease", type=int, default=60)
    parser.add_argument("--flush", type=float, default=15.0)
    parser.add_argument("--smtp-delay", type=float, default=0.005)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    setup(args)
    from django.db import connection

    from tests.delivery.harness import run_trial

    renewals_ready(args.renewals)
    print(
        f"Database: {connection.vendor}; broker: {args.broker_url.split('://')[0]}; lease {args.lease} s, "
        f"flush every {args.flush} s, {args.renewals} reminders per trial, two sweeps at once"
    )
    probe_dir = Path(tempfile.mkdtemp(prefix="kill-probe-"))
    rng = random.Random(args.seed)
    plan = ["none"] * args.baseline + [("child", "worker")[i % 2] for i in range(args.trials)]
    results: dict[str, list] = {"none": [], "kill": []}
    for number, mode in enumerate(plan, 1):
        started = time.monotonic()
        result = run_trial(
            mode=mode,
            renewals=args.renewals,
            rng=rng,
            lease=args.lease,
            flush_seconds=args.flush,
            smtp_delay=args.smtp_delay,
            batch_size=args.batch_size,
            timeout=args.lease * 3 + 300,
            extra_env=probe_env(probe_dir),
        )
        results["none" if mode == "none" else "kill"].append(result)
        offsets = f", duplicates' first copies at {list(result.duplicate_offsets_ms)} ms from the kill"
        print(
            f"trial {number:2d} {mode:6s}: missing {result.missing}, duplicates {result.duplicates}, "
            f"late after kill {result.late_after_kill:6.1f} s, held at kill {result.held_at_kill:3d}, "
            f"redelivered {result.redelivered}"
            + offsets * bool(result.duplicates)
            + f"  ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    print(summary("kill    ", results["kill"]))
    print(summary("baseline", results["none"]))
    found = windows(probe_dir)
    print(percentiles("window 250 read -> mark sent   ", found["reply"]))
    print(percentiles("window final dot -> mark sent  ", found["dot"]))
    print(percentiles("mark round trip (not a window) ", found["trip"]))


if __name__ == "__main__":
    main()
