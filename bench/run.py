"""Time the accounts list (page and API) as a CSM with a realistic book of business.

    .venv/bin/python bench/run.py [--accounts 50000] [--book 2000] [--requests 50] [--database-url URL]

Sets Django up on the bench database (its own SQLite file in ``var/bench/`` unless
``--database-url`` says otherwise), migrates, generates the data set when the database
does not already hold it, then requests each scenario through ``django.test.Client``,
logged in (``force_login``) as ``bench.csm``: a few warm-up requests, one with the SQL
captured, then ``--requests`` timed ones. Prints a table and writes the figures to
``bench/results/<timestamp>.json``. See README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if __package__ in (None, ""):  # run as ``python bench/run.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.bootstrap import ROOT, BenchDatabase, configure
from bench.generate import (
    BENCH_USERNAME,
    DEFAULT_TODAY,
    DataSetSpec,
    ForeignDataPresent,
    bench_user,
    ensure_dataset,
)

if TYPE_CHECKING:
    from django.test import Client

RESULTS_DIR = ROOT / "bench" / "results"
PAGE_SIZE = 50  # accounts.views.PAGE_SIZE and the API's default page size
ACCOUNT_COUNT_RE = re.compile(r'data-testid="account-count">\s*([\d,]+)')
ACCOUNT_ROW = 'data-testid="account-row"'


class Response(Protocol):
    status_code: int
    content: bytes


@dataclass(frozen=True)
class Scenario:
    key: str
    kind: str  # "page" or "api"
    url: str
    expected_total: int  # accounts matching the filters, checked against the response

    @property
    def label(self) -> str:
        return f"{self.kind:<4} {self.url}"


@dataclass
class Measurement:
    key: str
    kind: str
    url: str
    requests: int
    warmup: int
    total_rows: int
    rows_on_page: int
    queries: int
    sql_p50_ms: float  # median per request of the time spent in cursor.execute()
    response_bytes: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    min_ms: float
    mean_ms: float
    samples_ms: list[float] = field(repr=False)
    sql: list[str] = field(repr=False)


class ExecuteTimer:
    """``connection.execute_wrapper`` adding up the time spent in ``cursor.execute()``.

    Cheap enough for the timed requests (unlike the debug cursor). With SQLite, rows
    after the first are stepped in ``fetchmany()``, outside this time.
    """

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def build_scenarios(user: Any) -> list[Scenario]:
    from django.urls import reverse

    from workspace.book import book_accounts

    scope = book_accounts(user=user)
    book = scope.count()
    smb = scope.in_segments(["smb"]).count()
    last_page = max(1, math.ceil(book / PAGE_SIZE))
    page_url = reverse("accounts:list")
    api_url = reverse("api:account-list")
    return [
        Scenario("page_first", "page", page_url, book),
        Scenario("page_segment_smb", "page", f"{page_url}?segment=smb", smb),
        Scenario("page_order_arr_desc", "page", f"{page_url}?ordering=-arr", book),
        Scenario("page_last", "page", f"{page_url}?page={last_page}", book),
        Scenario("api_first", "api", api_url, book),
        Scenario("api_segment_smb_arr_desc", "api", f"{api_url}?segment=smb&ordering=-arr", smb),
    ]


def check_response(scenario: Scenario, response: Response) -> tuple[int, int]:
    """``(total rows, rows on this page)`` from the response; fails on anything unexpected."""
    if response.status_code != 200:
        raise RuntimeError(f"{scenario.url}: HTTP {response.status_code}")
    if scenario.kind == "api":
        data = json.loads(response.content)
        total, rows = int(data["count"]), len(data["results"])
    else:
        text = response.content.decode()
        match = ACCOUNT_COUNT_RE.search(text)
        if match is None:
            raise RuntimeError(f"{scenario.url}: no account count in the page")
        total, rows = int(match.group(1).replace(",", "")), text.count(ACCOUNT_ROW)
    if total != scenario.expected_total:
        raise RuntimeError(f"{scenario.url}: {total} accounts listed, expected {scenario.expected_total}")
    if rows != min(PAGE_SIZE, total) and "page=" not in scenario.url:
        raise RuntimeError(f"{scenario.url}: {rows} rows on the page")
    return total, rows


def measure(client: Client, scenario: Scenario, *, requests: int, warmup: int) -> Measurement:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        check_response(scenario, client.get(scenario.url))
    # The query count comes from one separate request: capturing switches on Django's
    # debug cursor (SQL formatting per query), which the timed requests should not pay.
    # The log is a bounded deque: a full one would make the capture come back empty.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(scenario.url)
    # ``captured_queries`` slices the live log, which the next request clears: copy it now.
    queries = list(captured.captured_queries)
    total, rows = check_response(scenario, response)
    samples: list[float] = []
    sql_samples: list[float] = []
    timer = ExecuteTimer()
    with connection.execute_wrapper(timer):
        for _ in range(requests):
            timer.seconds = 0.0
            started = time.perf_counter()
            response = client.get(scenario.url)
            samples.append((time.perf_counter() - started) * 1000)
            sql_samples.append(timer.seconds * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{scenario.url}: HTTP {response.status_code}")
    return Measurement(
        key=scenario.key,
        kind=scenario.kind,
        url=scenario.url,
        requests=requests,
        warmup=warmup,
        total_rows=total,
        rows_on_page=rows,
        queries=len(queries),
        sql_p50_ms=round(percentile(sql_samples, 50), 2),
        response_bytes=len(response.content),
        p50_ms=round(percentile(samples, 50), 2),
        p95_ms=round(percentile(samples, 95), 2),
        max_ms=round(max(samples), 2),
        min_ms=round(min(samples), 2),
        mean_ms=round(statistics.fmean(samples), 2),
        samples_ms=[round(s, 3) for s in samples],
        sql=[q["sql"] for q in queries],
    )


def database_info() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
        elif connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            version = connection.display_name
    return {"vendor": connection.vendor, "engine": connection.settings_dict["ENGINE"], "version": version}


def render_table(measurements: Sequence[Measurement]) -> str:
    header = ("scenario", "accounts", "rows", "queries", "SQL p50", "p50 ms", "p95 ms", "max ms", "KiB")
    lines = [
        f"{header[0]:<48} {header[1]:>8} {header[2]:>5} {header[3]:>7} {header[4]:>7} {header[5]:>8} "
        f"{header[6]:>8} {header[7]:>8} {header[8]:>6}"
    ]
    lines.append("-" * len(lines[0]))
    for m in measurements:
        lines.append(
            f"{m.kind + ' ' + m.url:<48} {m.total_rows:>8,} {m.rows_on_page:>5} {m.queries:>7} {m.sql_p50_ms:>7.1f} "
            f"{m.p50_ms:>8.1f} {m.p95_ms:>8.1f} {m.max_ms:>8.1f} {m.response_bytes / 1024:>6.1f}"
        )
    return "\n".join(lines)


def write_results(payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}.json"
    suffix = 1
    while path.exists():
        suffix += 1
        path = RESULTS_DIR / f"{stamp}-{suffix}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    spec = DataSetSpec()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=spec.accounts, help="total accounts (50000)")
    parser.add_argument("--book", type=int, default=spec.book, help="accounts owned by bench.csm (2000)")
    parser.add_argument("--csms", type=int, default=spec.csms, help="CSMs besides bench.csm (25)")
    parser.add_argument("--seed", type=int, default=spec.seed, help="data set random seed (42)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per scenario (50)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per scenario first (3)")
    parser.add_argument("--database-url", help="database to use (default: SQLite file in var/bench/)")
    parser.add_argument("--reset", action="store_true", help="regenerate the data set, deleting all accounts")
    parser.add_argument(
        "--keep-debug", action="store_true", help="measure with settings.DEBUG as configured (default: False)"
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/<timestamp>.json")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be at least 1 and --warmup not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    spec = DataSetSpec(accounts=args.accounts, book=args.book, csms=args.csms, seed=args.seed, today=DEFAULT_TODAY)
    try:
        spec.validate()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    log: Callable[[str], None] = print
    started = time.perf_counter()
    phases: dict[str, float] = {}

    database: BenchDatabase = configure(args.database_url)
    from django import get_version
    from django.conf import settings
    from django.core.management import call_command
    from django.db import OperationalError
    from django.test import Client
    from django.test.utils import override_settings

    log(f"Database: {database.display}")
    mark = time.perf_counter()
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except OperationalError as exc:
        print(f"error: cannot use the database: {exc}".rstrip(), file=sys.stderr)
        if "does not exist" in str(exc):
            print("  create it first, e.g.: createdb -h 127.0.0.1 -U postgres hourglass_bench", file=sys.stderr)
        return 1
    phases["migrate_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    try:
        generated = ensure_dataset(spec, force_reset=args.reset, log=log)
    except ForeignDataPresent as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    phases["data_s"] = time.perf_counter() - mark
    if not generated:
        log("Data set already present; reusing it.")

    db = database_info()
    debug = settings.DEBUG if args.keep_debug else False
    log(f"Engine: {db['engine']} ({db['version']}); DEBUG={debug} while measuring")
    log(f"Timing {args.requests} requests per scenario after {args.warmup} warm-ups, as {BENCH_USERNAME} ...")
    mark = time.perf_counter()
    measurements: list[Measurement] = []
    with override_settings(DEBUG=debug):
        user = bench_user()
        client = Client()
        client.force_login(user)
        for scenario in build_scenarios(user):
            measurements.append(measure(client, scenario, requests=args.requests, warmup=args.warmup))
            log(f"  {scenario.label}: p50 {measurements[-1].p50_ms:.1f} ms")
        client.logout()  # deletes the session row force_login made
    phases["measure_s"] = time.perf_counter() - mark
    phases["total_s"] = time.perf_counter() - started

    table = render_table(measurements)
    print()
    print(f"Hourglass bench: {db['version']} ({db['engine']}), DEBUG={debug}")
    print(
        f"Data: {spec.accounts:,} accounts, book {spec.book:,} ({BENCH_USERNAME}), {spec.csms} other CSMs, "
        f"seed {spec.seed}; {args.requests} timed requests per scenario after {args.warmup} warm-ups"
    )
    print(table)
    print(
        f"Total run time {phases['total_s']:.1f} s (migrate {phases['migrate_s']:.1f} s, "
        f"data {phases['data_s']:.1f} s, measuring {phases['measure_s']:.1f} s)"
    )

    if not args.no_json:
        payload = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {**db, "url": database.display},
            "debug": debug,
            "dataset": {**spec.as_dict(), "generated_this_run": generated},
            "requests": args.requests,
            "warmup": args.warmup,
            "user": BENCH_USERNAME,
            "environment": {
                "python": platform.python_version(),
                "django": get_version(),
                "platform": platform.platform(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
            },
            "phases_s": {key: round(value, 2) for key, value in phases.items()},
            "results": [asdict(m) for m in measurements],
        }
        path = write_results(payload)
        print(f"Results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
