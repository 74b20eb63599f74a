"""CRM sync throughput through gunicorn, against the CSV import of the same rows (same run).

    .venv/bin/python bench/crm_sync.py [--accounts 20000] [--chunk 5000] [--workers 2] [--port 8791] \
        [--seed 42] [--database-url URL] [--no-json]

Builds one deterministic accounts file (``bench/import_csv.py``'s generator: codes and
English / Chinese labels, owners by username or email, ARR with thousands separators),
then, from an empty accounts table each time it creates:

- ``csv_import``: ``accounts.imports.csv_import`` of the file in this process (the baseline);
- ``sync_api``: the same rows as ``POST /api/v1/sync/accounts`` calls of ``--chunk`` rows,
  one after the other, to gunicorn (``config.wsgi``, ``DEBUG=false``) on loopback with an
  admin's API token — request building, HTTP, JSON and the answer included;
- ``sync_api_again``: the same calls again (every row unchanged);
- ``csv_import_again``: the CSV import of the file again (every row unchanged);
- ``sync_api_updated``: the sync calls with every row's ARR changed (every row updated);
- ``sync_api_subscribed``: from an empty accounts table again, the sync calls with a
  webhook endpoint subscribed to the account events, so every call also queues one
  ``account.created`` delivery per account (checked; nothing is delivered: no worker
  runs, and the endpoint is removed with its deliveries afterwards).

Prints accounts/s of each phase and the ratios sync/CSV import (created, unchanged and
created with the endpoint subscribed);
writes ``bench/results/crm_sync/<timestamp>.json``. Only this bench's data may be in the
database (external ids ``BCRM…``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/crm_sync.py``: import from the repo root
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
    write_results,
)
from bench.import_csv import accounts_csv

PREFIX = "BCRM"
USER_PREFIX = "bench.crm."
ENDPOINT_NAME = "bench.crm endpoint"
CSMS = 25


@dataclass
class Phase:
    key: str
    rows: int
    created: int
    updated: int
    unchanged: int
    calls: int
    seconds: float
    rows_per_s: float


def reset_accounts() -> None:
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from accounts.models import Account, ImportRun

    empty_tables(ImportRun)
    if connection.vendor == "postgresql":
        empty_tables(Account, cascade=True)
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        Account.objects.all().delete()
    empty_tables(Account.history.model)


def endpoints_remove() -> None:
    from integrations.webhooks.models import Endpoint

    Endpoint.objects.filter(name=ENDPOINT_NAME).delete()  # with their deliveries


def endpoint_subscribe(admin: Any) -> Any:
    from django.test.utils import override_settings

    from integrations.webhooks.services import endpoint_create

    events = ["account.created", "account.updated", "account.owner_changed"]
    # Loopback's discard port: nothing is sent (no worker runs), the URL only has to be valid.
    with override_settings(HOURGLASS_WEBHOOK_ALLOW_PRIVATE=True):
        endpoint, _secret = endpoint_create(name=ENDPOINT_NAME, url="http://127.0.0.1:9/", actor=admin,
                                            event_types=events)  # fmt: skip
    return endpoint


def people() -> tuple[Any, list[tuple[str, str]]]:
    from django.contrib.auth import get_user_model

    from org.models import Role
    from org.services import person_create

    get_user_model().objects.filter(username__startswith=USER_PREFIX).delete()
    admin = person_create(username=f"{USER_PREFIX}admin", role=Role.ADMIN, password=secrets.token_urlsafe(16))
    owners = []
    for n in range(1, CSMS + 1):
        username, email = f"{USER_PREFIX}csm{n:02d}", f"csm{n:02d}@crm.bench.example.com"
        person_create(username=username, role=Role.CSM, email=email)
        owners.append((username, email))
    return admin, owners


def run_csv_import(admin: Any, key: str, data: bytes) -> Phase:
    from accounts.imports import csv_import

    started = time.perf_counter()
    result, _run = csv_import(actor=admin, kind="accounts", data=data, filename=f"{key}.csv")
    seconds = time.perf_counter() - started
    if result.errors:
        raise RuntimeError(f"{key}: {len(result.errors)} errors, first {result.errors[:3]}")
    return Phase(key, result.total_rows, result.created, result.updated, result.unchanged, 1, round(seconds, 3),
                 round(result.total_rows / seconds, 1))  # fmt: skip


def changed_arr(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with another ARR each (deterministic: 1 more)."""
    from decimal import Decimal

    return [{**row, "arr": str(Decimal(row["arr"].replace(",", "") or "0") + 1)} for row in rows]


def run_sync(base: str, token: str, key: str, rows: list[dict[str, str]], chunk: int) -> Phase:
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    calls = 0
    started = time.perf_counter()
    for start in range(0, len(rows), chunk):
        body = json.dumps({"rows": rows[start : start + chunk]}).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{base}/api/v1/sync/accounts",
            data=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - loopback
            answer = json.loads(response.read())
        calls += 1
        for name in totals:
            totals[name] += answer[name]
    seconds = time.perf_counter() - started
    return Phase(key, len(rows), totals["created"], totals["updated"], totals["unchanged"], calls,
                 round(seconds, 3), round(len(rows) / seconds, 1))  # fmt: skip


def start_gunicorn(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,  # bench.bootstrap set DATABASE_URL, HOURGLASS_VAR_DIR, the broker
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "crm-bench-only-not-a-secret-" + "x" * 40),
        "SECURE_SSL_REDIRECT": "false",
        "HOURGLASS_TRUST_PROXY_HEADERS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--timeout", "300", "--log-level", "warning"],
        cwd=root, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except urllib.error.HTTPError:
            return process  # it answers (503 without a worker heartbeat is fine here)
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"gunicorn did not answer on port {port}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=20_000, help="rows (20000)")
    parser.add_argument("--chunk", type=int, default=5000, help="rows per sync call (5000, the API's limit)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_crm_sync.sqlite3)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/crm_sync/<timestamp>.json")
    args = parser.parse_args(argv)
    if not 1 <= args.accounts <= 200_000 or not 1 <= args.chunk <= 5000:
        parser.error("--accounts 1 to 200,000; --chunk 1 to 5,000")
    return args


def _report(phases: list[Phase], db: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    by_key = {phase.key: phase for phase in phases}
    ratios = {
        "created": round(by_key["sync_api"].rows_per_s / by_key["csv_import"].rows_per_s, 2),
        "unchanged": round(by_key["sync_api_again"].rows_per_s / by_key["csv_import_again"].rows_per_s, 2),
        "created_subscribed": round(by_key["sync_api_subscribed"].rows_per_s / by_key["csv_import"].rows_per_s, 2),
    }
    print()
    print(f"CRM sync bench: {db['version']}, {args.accounts:,} accounts, {args.chunk:,} rows a call, "
          f"{args.workers} gunicorn workers")  # fmt: skip
    print(
        render_table(
            ("phase", "rows", "created", "updated", "unchanged", "calls", "seconds", "accounts/s"),
            [(p.key, p.rows, p.created, p.updated, p.unchanged, p.calls, p.seconds, p.rows_per_s) for p in phases],
        )
    )
    print(f"Sync through gunicorn / CSV import in-process: created x{ratios['created']}, "
          f"unchanged x{ratios['unchanged']}, created with an endpoint subscribed "
          f"x{ratios['created_subscribed']}")  # fmt: skip
    return ratios


def _check(phases: list[Phase]) -> None:
    for phase in phases:
        expected = phase.unchanged if phase.key.endswith("_again") else phase.created
        if phase.key.endswith("_updated"):
            expected = phase.updated
        if expected != phase.rows:
            raise RuntimeError(f"{phase.key}: {expected} of {phase.rows} rows as expected")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    database = setup(args.database_url, name="crm_sync")
    if database is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from accounts.imports import read_csv
    from core.tokens import api_token_issue

    endpoints_remove()
    reset_accounts()
    admin, owners = people()
    token = api_token_issue(user=admin)
    data = accounts_csv(random.Random(args.seed), args.accounts, f"{PREFIX}{args.seed}-", owners)
    _header, rows = read_csv(data)
    db = database_info()
    print(f"Engine: {db['version']}; {args.accounts:,} accounts ({len(data) / 1e6:.1f} MB as CSV)")
    phases: list[Phase] = []
    gunicorn = start_gunicorn(args.port, args.workers)
    try:
        with measuring_settings(), BrokerSpy() as spy:
            phases.append(run_csv_import(admin, "csv_import", data))
            reset_accounts()
            base = f"http://127.0.0.1:{args.port}"
            phases.append(run_sync(base, token, "sync_api", rows, args.chunk))
            phases.append(run_sync(base, token, "sync_api_again", rows, args.chunk))
            phases.append(run_csv_import(admin, "csv_import_again", data))
            phases.append(run_sync(base, token, "sync_api_updated", changed_arr(rows), args.chunk))
            reset_accounts()
            endpoint = endpoint_subscribe(admin)
            phases.append(run_sync(base, token, "sync_api_subscribed", rows, args.chunk))
            queued = endpoint.deliveries.filter(event_type="account.created").count()
            for phase in phases:
                print(f"  {phase.key:<19} {phase.rows:>8,} rows in {phase.seconds:7.2f} s: {phase.rows_per_s:>9,.0f}/s")
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        endpoints_remove()
    _check(phases)
    if queued != args.accounts:
        raise RuntimeError(f"sync_api_subscribed: {queued} account.created deliveries queued for {args.accounts}")
    print(f"sync_api_subscribed queued {queued:,} account.created deliveries")
    ratios = _report(phases, db, args)
    total_s = time.perf_counter() - started
    print(f"Total run time {total_s:.1f} s; {sum(spy.published.values())} Celery messages published")
    if not args.no_json:
        path = write_results(
            "crm_sync",
            {
                "benchmark": "crm_sync",
                "created_at": now_iso(),
                "database": {**db, "url": database.display},
                "dataset": {"accounts": args.accounts, "chunk": args.chunk, "seed": args.seed},
                "gunicorn_workers": args.workers,
                "environment": environment(),
                "phases": [asdict(phase) for phase in phases],
                "ratios": ratios,
                "run_s": round(total_s, 1),
            },
        )
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
