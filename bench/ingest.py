"""Usage-event ingest throughput: the API, the storage fast path and a naive ORM loop.

    .venv/bin/python bench/ingest.py [--events 200000] [--accounts 2000] [--batch 10000] \
        [--naive-events 5000] [--seed 42] [--database-url URL] [--profile] [--no-json]

One run, on one database (its own SQLite file ``var/bench/hourglass_bench_ingest.sqlite3``
unless ``--database-url`` names another), times the same deterministic events through:

- ``api``: ``POST /api/v1/events/bulk`` with ``django.test.Client`` (JSON arrays of
  ``--batch`` events, logged in with ``force_login`` as an admin, who sees every account);
  JSON encoding of the bodies happens before the clock starts;
- ``api_replay``: the same requests again, every event a duplicate (200, stored 0);
- ``service``: ``health.services.events_ingest`` with the same dicts, without HTTP
  (parsing, DRF, auth and throttling left out);
- ``store``: ``health.storage.events_store`` with ready ``ValidEvent`` objects, one
  transaction per batch (COPY + ``INSERT … ON CONFLICT`` on PostgreSQL, one
  ``INSERT … SELECT FROM json_each`` on SQLite);
- ``store_replay``: the same batches again (all duplicates);
- ``naive``: ``UsageEvent.objects.create()`` per event for the first ``--naive-events``
  events, in one transaction (generous: per-row autocommit would be slower still).

The events table (and the rollup tables) is emptied before each phase except the
replays. Prints a table and writes ``bench/results/ingest/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
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

if __package__ in (None, ""):  # run as ``python bench/ingest.py``: import from the repo root
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
    write_results,
)

PREFIX = "BINGEST"  # external ids: BINGEST42-000001 …
ADMIN_USERNAME = "bench.ingest.admin"
API_URL = "/api/v1/events/bulk"
FIRST_DAY = date(2025, 6, 3)  # events over the 28 days 2025-06-03 … 2025-06-30 (local time)
DAYS = 28
FEATURES = [
    "login",
    "opportunity.create",
    "opportunity.update",
    "report.view",
    "approval.submit",
    "customer.update",
    "dashboard.view",
    "export.csv",
]
PLANS = ["basic", "pro", "enterprise"]


@dataclass(frozen=True)
class Spec:
    events: int
    accounts: int
    batch: int
    naive_events: int
    seed: int

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.seed}-"


@dataclass
class Phase:
    key: str
    description: str
    events: int
    batches: int
    stored: int
    duplicates: int
    seconds: float
    events_per_s: float
    batch_p50_ms: float
    batch_max_ms: float
    tasks_published: int


# --- data --------------------------------------------------------------------------------


def ensure_accounts(spec: Spec, log: Callable[[str], None]) -> tuple[Any, list[tuple[int, str]]]:
    """The admin and ``spec.accounts`` accounts (reused when present): ``(admin, [(pk, external_id)])``."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test.utils import override_settings

    from accounts.models import Account
    from health.models import DailyFeatureRollup, DailyRollup, UsageEvent
    from org.models import Role
    from org.services import person_create

    User = get_user_model()
    accounts = Account.objects.filter(external_id__startswith=spec.prefix)
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None or accounts.count() != spec.accounts or Account.objects.count() != spec.accounts:
        log(f"Creating {spec.accounts:,} accounts and {ADMIN_USERNAME} ...")
        empty_tables(UsageEvent, DailyFeatureRollup, DailyRollup)
        with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
            Account.objects.all().delete()
            Account.history.all().delete()
            User.objects.filter(username=ADMIN_USERNAME).delete()
            admin = person_create(username=ADMIN_USERNAME, role=Role.ADMIN, first_name="Bench", last_name="Ingest")
            Account.objects.bulk_create(
                [
                    Account(name=f"Ingest bench account {n:06d}", external_id=f"{spec.prefix}{n:06d}")
                    for n in range(1, spec.accounts + 1)
                ],
                batch_size=5000,
            )
    refs = list(accounts.order_by("pk").values_list("pk", "external_id"))
    return admin, [(pk, str(external_id)) for pk, external_id in refs]


def build_events(spec: Spec, refs: Sequence[tuple[int, str]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """The same events as API dicts and as ``ValidEvent`` objects, in time order (senders
    send what just happened). Half name the account by id, half by external id."""
    from django.conf import settings

    from health.validation import ValidEvent

    rng = random.Random(spec.seed)
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=zone)
    span = DAYS * 86_400
    drafts = []
    for number in range(spec.events):
        pk, external_id = refs[rng.randrange(len(refs))]
        moment = start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1000) * 1000)
        quantity = Decimal(1) if rng.random() < 0.8 else Decimal(rng.randint(1, 50_000)) / 100
        properties = {"plan": rng.choice(PLANS), "source": "web" if rng.random() < 0.7 else "mobile"}
        drafts.append(
            (moment, pk, external_id, rng.choice(FEATURES), f"u{rng.randint(1, 40)}", quantity, properties, number)
        )
    drafts.sort(key=lambda draft: (draft[0], draft[-1]))
    dicts: list[dict[str, Any]] = []
    valid: list[Any] = []
    for index, (moment, pk, external_id, name, user, quantity, properties, number) in enumerate(drafts):
        event_id = f"ev{spec.seed}-{number:09d}"
        payload: dict[str, Any] = {
            "occurred_at": moment.isoformat(),
            "event_name": name,
            "user_id": user,
            "quantity": str(quantity) if quantity != 1 else 1,
            "properties": properties,
            "event_id": event_id,
        }
        if number % 2:
            payload["account_external_id"] = external_id
        else:
            payload["account_id"] = pk
        dicts.append(payload)
        valid.append(
            ValidEvent(
                index=index % spec.batch,
                account_id=pk,
                occurred_at=moment,
                event_name=name,
                customer_user_id=user,
                quantity=quantity,
                properties=properties,
                event_id=event_id,
            )
        )
    return dicts, valid


def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# --- phases ------------------------------------------------------------------------------


def stored_events() -> int:
    from health.models import UsageEvent

    return UsageEvent.objects.count()


def reset_events() -> None:
    from health.models import DailyFeatureRollup, DailyRollup, UsageEvent

    empty_tables(UsageEvent, DailyFeatureRollup, DailyRollup)


def make_phase(
    key: str, description: str, watch: Stopwatch, *, events: int, stored: int, spy: BrokerSpy | None = None
) -> Phase:
    return Phase(
        key=key,
        description=description,
        events=events,
        batches=len(watch.samples),
        stored=stored,
        duplicates=events - stored,
        seconds=round(watch.total, 3),
        events_per_s=round(events / watch.total, 1) if watch.total else 0.0,
        batch_p50_ms=round(watch.median * 1000, 1),
        batch_max_ms=round(watch.maximum * 1000, 1),
        tasks_published=sum(spy.published.values()) if spy else 0,
    )


def run_api(admin: Any, bodies: Sequence[bytes], sizes: Sequence[int], *, replay: bool) -> tuple[Stopwatch, int]:
    from django.test import Client

    client = Client()
    client.force_login(admin)
    watch = Stopwatch()
    stored = 0
    expected = 200 if replay else 201
    for body, size in zip(bodies, sizes, strict=True):
        with watch.lap():
            response = client.post(API_URL, data=body, content_type="application/json")
        if response.status_code != expected:
            raise RuntimeError(f"{API_URL}: HTTP {response.status_code}: {response.content[:500]!r}")
        result = json.loads(response.content)
        if result["stored"] + result["duplicates"] != size:
            raise RuntimeError(f"{API_URL}: {result} for {size} events")
        stored += int(result["stored"])
    client.logout()
    return watch, stored


def run_service(admin: Any, chunks: Sequence[Sequence[dict[str, Any]]]) -> tuple[Stopwatch, int]:
    from health.services import events_ingest

    watch = Stopwatch()
    stored = 0
    for chunk in chunks:
        with watch.lap():
            result = events_ingest(actor=admin, events=chunk)
        stored += result.stored
    return watch, stored


def run_store(chunks: Sequence[Sequence[Any]]) -> tuple[Stopwatch, int]:
    from django.db import transaction
    from django.utils import timezone

    from health.storage import events_store

    watch = Stopwatch()
    stored = 0
    for chunk in chunks:
        with watch.lap(), transaction.atomic():
            stored += events_store(events=chunk, received_at=timezone.now())
    return watch, stored


def run_naive(events: Sequence[Any]) -> tuple[Stopwatch, int]:
    from django.db import transaction
    from django.utils import timezone

    from health.models import UsageEvent

    watch = Stopwatch()
    received = timezone.now()
    with watch.lap(), transaction.atomic():
        for event in events:
            UsageEvent.objects.create(
                account_id=event.account_id,
                occurred_at=event.occurred_at,
                event_name=event.event_name,
                customer_user_id=event.customer_user_id,
                quantity=event.quantity,
                properties=event.properties,
                event_id=event.event_id,
                received_at=received,
            )
    return watch, len(events)


COPY_TABLE = "bench_ingest_copy_baseline"


def _copy_field(value: Any) -> str:
    """One value in COPY's text format (what ``psql \\copy`` streams from a file)."""
    text = value if isinstance(value, str) else value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_texts(chunks: Sequence[Sequence[Any]], received: datetime) -> list[bytes]:
    """The batches as COPY text files, built before the clock starts (as a file for \\copy is)."""
    texts = []
    for chunk in chunks:
        lines = []
        for event in chunk:
            values = (event.account_id, event.occurred_at, event.event_name, event.customer_user_id,
                      event.quantity, json.dumps(event.properties), event.event_id, received)  # fmt: skip
            lines.append("\t".join(_copy_field(value) for value in values))
        texts.append(("\n".join(lines) + "\n").encode())
    return texts


def prepare_copy_table() -> None:
    """A plain table with the events table's columns, keys, indexes and foreign key."""
    from django.db import connection

    from health.models import UsageEvent

    source = UsageEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        cursor.execute(f"CREATE TABLE {COPY_TABLE} (LIKE {source} INCLUDING ALL)")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [source],
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {COPY_TABLE} ADD {definition}")


def run_copy(texts: Sequence[bytes], sizes: Sequence[int]) -> tuple[Stopwatch, int]:
    """The baseline: COPY of the same rows, one batch a transaction, into ``COPY_TABLE``."""
    from django.db import connection, transaction

    columns = "account_id, occurred_at, event_name, customer_user_id, quantity, properties, event_id, received_at"
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {COPY_TABLE}")
    watch = Stopwatch()
    for text in texts:
        with (
            watch.lap(),
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.copy(f"COPY {COPY_TABLE} ({columns}) FROM STDIN") as copy,
        ):
            copy.write(text)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {COPY_TABLE}")  # noqa: S608 - a constant
        (rows,) = cursor.fetchone()
        cursor.execute(f"TRUNCATE {COPY_TABLE}")
    if rows != sum(sizes):
        raise RuntimeError(f"copy: {rows} rows, expected {sum(sizes)}")
    return watch, int(rows)


def profile_api(admin: Any, body: bytes, top: int = 25) -> str:
    """cProfile of one API request (an empty events table first) and of its replay,
    top functions by cumulative and by own time."""
    from django.test import Client

    reset_events()
    client = Client()
    client.force_login(admin)
    out = io.StringIO()
    for label, expected in (("first ingest", 201), ("replay", 200)):
        profiler = cProfile.Profile()
        profiler.enable()
        response = client.post(API_URL, data=body, content_type="application/json")
        profiler.disable()
        if response.status_code != expected:
            raise RuntimeError(f"profiled {label}: HTTP {response.status_code}")
        out.write(f"\n=== {label} ===\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
    client.logout()
    return out.getvalue()


# --- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=200_000, help="events per phase (200000)")
    parser.add_argument("--accounts", type=int, default=2_000, help="accounts the events are spread over (2000)")
    parser.add_argument("--batch", type=int, default=10_000, help="events per request / store call (10000)")
    parser.add_argument("--naive-events", type=int, default=5_000, help="events of the naive ORM loop (5000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_ingest.sqlite3)")
    parser.add_argument("--skip", action="append", default=[], help="leave a phase out (repeatable)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one API request")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/ingest/<timestamp>.json")
    args = parser.parse_args(argv)
    if args.events < 1 or args.accounts < 1 or not 1 <= args.batch <= 10_000 or args.naive_events < 0:
        parser.error("--events and --accounts must be positive, --batch between 1 and 10000 (the API's limit)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    spec = Spec(
        events=args.events,
        accounts=args.accounts,
        batch=args.batch,
        naive_events=min(args.naive_events, args.events),
        seed=args.seed,
    )
    started = time.perf_counter()
    database = setup(args.database_url, name="ingest")
    if database is None:
        return 1
    from health.partitions import event_partitions, event_partitions_ensure

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    admin, refs = ensure_accounts(spec, print)
    created = event_partitions_ensure(months_ahead=0, start=FIRST_DAY)
    if created:
        print(f"Created {len(created)} monthly event partitions from {FIRST_DAY:%Y-%m}")
    partitions = len(event_partitions())

    mark = time.perf_counter()
    dicts, valid = build_events(spec, refs)
    dict_chunks = batches(dicts, spec.batch)
    valid_chunks = batches(valid, spec.batch)
    bodies = [json.dumps(chunk).encode() for chunk in dict_chunks]
    sizes = [len(chunk) for chunk in dict_chunks]
    build_s = time.perf_counter() - mark
    body_mb = sum(len(body) for body in bodies) / 1e6
    db = database_info()
    print(
        f"Engine: {db['version']}; {spec.events:,} events over {spec.accounts:,} accounts and {DAYS} days, "
        f"{len(bodies)} batches of {spec.batch:,} ({body_mb:.1f} MB of JSON, built in {build_s:.1f} s)"
    )

    phases: list[Phase] = []
    skip = set(args.skip)

    def record(phase: Phase, expected_rows: int) -> None:
        rows = stored_events()
        if rows != expected_rows:
            raise RuntimeError(f"{phase.key}: {rows} rows in the events table, expected {expected_rows}")
        phases.append(phase)
        print(f"  {phase.key:<13} {phase.events:>9,} events in {phase.seconds:7.2f} s: {phase.events_per_s:>10,.0f}/s")

    # The API's event rate limit is off for the run (0): a bench run would exceed it.
    from django.db import connection

    copy_baseline = connection.vendor == "postgresql" and "copy" not in skip
    with measuring_settings(HOURGLASS_INGEST_EVENTS_PER_MINUTE=0):
        if copy_baseline:
            prepare_copy_table()
            texts = copy_texts(valid_chunks, datetime.now(ZoneInfo("UTC")))
            watch, stored = run_copy(texts, sizes)
            phases.append(make_phase("copy", "COPY of the same rows (baseline)", watch, events=spec.events,
                                     stored=stored))  # fmt: skip
            print(f"  {'copy':<13} {spec.events:>9,} events in {watch.total:7.2f} s")
        if "api" not in skip:
            reset_events()
            with BrokerSpy() as spy:
                watch, stored = run_api(admin, bodies, sizes, replay=False)
            record(
                make_phase("api", f"POST {API_URL} (JSON)", watch, events=spec.events, stored=stored, spy=spy),
                spec.events,
            )
            with BrokerSpy() as spy:
                watch, stored = run_api(admin, bodies, sizes, replay=True)
            record(
                make_phase("api_replay", "the same requests again", watch, events=spec.events, stored=stored, spy=spy),
                spec.events,
            )
        if "service" not in skip:
            reset_events()
            with BrokerSpy() as spy:
                watch, stored = run_service(admin, dict_chunks)
            record(
                make_phase("service", "events_ingest()", watch, events=spec.events, stored=stored, spy=spy),
                spec.events,
            )
        if "store" not in skip:
            reset_events()
            watch, stored = run_store(valid_chunks)
            record(make_phase("store", "events_store()", watch, events=spec.events, stored=stored), spec.events)
            watch, stored = run_store(valid_chunks)
            record(
                make_phase("store_replay", "events_store() again", watch, events=spec.events, stored=stored),
                spec.events,
            )
        if "naive" not in skip and spec.naive_events:
            reset_events()
            watch, stored = run_naive(valid[: spec.naive_events])
            record(
                make_phase("naive", "UsageEvent.objects.create() per event", watch, events=spec.naive_events,
                           stored=stored),
                spec.naive_events,
            )  # fmt: skip
        profile = ""
        if args.profile:
            with BrokerSpy():
                profile = profile_api(admin, bodies[0])
    reset_events()  # leave the database small
    if copy_baseline:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")

    by_key = {phase.key: phase for phase in phases}
    naive_rate = by_key["naive"].events_per_s if "naive" in by_key else 0.0
    api_rate = by_key["api"].events_per_s if "api" in by_key else 0.0
    rows = []
    for phase in phases:
        rows.append(
            (
                phase.key,
                phase.events,
                phase.stored,
                phase.batches,
                phase.seconds,
                phase.events_per_s,
                phase.batch_p50_ms,
                phase.batch_max_ms,
                f"{phase.events_per_s / naive_rate:.1f}×" if naive_rate else "-",
                f"{phase.events_per_s / api_rate:.2f}×" if api_rate else "-",
            )
        )
    total_s = time.perf_counter() - started
    print()
    print(f"Ingest bench: {db['version']}, {spec.events:,} events, {spec.accounts:,} accounts, batch {spec.batch:,}")
    print(
        render_table(
            ("phase", "events", "stored", "batches", "seconds", "events/s", "batch p50 ms", "batch max ms",
             "vs naive", "vs api"),
            rows,
        )
    )  # fmt: skip
    if "api" in by_key and "copy" in by_key:
        ratio = api_rate / by_key["copy"].events_per_s
        print(
            f"API vs COPY of the same rows into a table with the same keys and indexes: {api_rate:,.0f} vs "
            f"{by_key['copy'].events_per_s:,.0f} events/s = {ratio:.2f}× (goal ≥ 0.8×)"
        )
    if "api" in by_key and "api_replay" in by_key:
        speedup = by_key["api_replay"].events_per_s / api_rate
        print(f"Replay vs first ingest: {speedup:.1f}× faster (goal ≥ 3×)")
    if "api" in by_key:
        goal = 50_000
        verdict = "meets" if api_rate >= goal else "misses"
        print(f"API: {api_rate:,.0f} events/s, {verdict} the goal of {goal:,} events/s")
    print(f"Total run time {total_s:.1f} s")
    if profile:
        print()
        print(profile)

    if not args.no_json:
        path = write_results(
            "ingest",
            {
                "benchmark": "ingest",
                "created_at": now_iso(),
                "database": {**db, "url": database.display},
                "dataset": {
                    **asdict(spec),
                    "days": DAYS,
                    "first_day": FIRST_DAY.isoformat(),
                    "json_mb": round(body_mb, 2),
                    "event_partitions": partitions,
                },
                "environment": environment(),
                "phases": [asdict(phase) for phase in phases],
                "run_s": round(total_s, 1),
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
