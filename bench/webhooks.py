"""Webhook outbox: queueing events, and delivery throughput against a local receiver.

    .venv/bin/python bench/webhooks.py [--events 10000] [--endpoints 3] [--deliveries 3000] \
        [--processes 2] [--database-url URL] [--no-json]

Phases (same run, same data):

- ``queue``: ``events_record`` of ``--events`` events to ``--endpoints`` subscribed
  endpoints, one call after commit scheduling (the set-based path the receivers use);
  baseline ``queue_naive``: one ``Delivery.objects.create`` per row, for a tenth of the
  events (rows/s compared).
- ``deliver``: ``--deliveries`` queued rows sent by ``--processes`` processes running
  ``deliver_due`` with ``DEBUG`` off (claim a batch in one UPDATE, sign, POST concurrently
  over keep-alive pools, record the batch in one statement) to a receiver subprocess on
  loopback (``ThreadingHTTPServer``, answers 200 at once); baseline ``raw_post``: the
  same number of bare ``requests`` POSTs over one keep-alive session, no database, one
  process (the HTTP cost alone). To compare with earlier code, run this same script in
  an export of it (``git archive <commit> | tar -x -C DIR``; copy this file over) —
  alternate the two on the same data.

Prints each phase's rate and the ratios; writes ``bench/results/webhooks/<timestamp>.json``.
Targets (issue 19): 10,000 events to 3 endpoints queued in ≤ 5 s; ≥ 200 deliveries/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/webhooks.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

ROOT = Path(__file__).resolve().parent.parent


def serve(port: int) -> None:
    """The receiver subprocess: 200 to every POST, keep-alive, nothing logged."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once (no delayed-ACK stall)

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # the stdlib's hook name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def deliver_worker(database_url: str) -> None:
    """One delivering process: what a Celery worker's task does, until nothing is due."""
    from bench.bootstrap import configure

    configure(database_url)
    from bench.common import measuring_settings
    from integrations.webhooks.delivery import deliver_due

    with measuring_settings():
        deliver_due(budget_seconds=600)


def _start_receiver(port: int) -> subprocess.Popen[bytes]:
    import requests

    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT)
    for _ in range(100):
        try:
            requests.post(f"http://127.0.0.1:{port}/", data=b"{}", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the receiver did not start")


def _reset(endpoints: int, url: str) -> list[Any]:
    from bench.common import empty_tables
    from integrations.webhooks.models import Delivery, Endpoint
    from integrations.webhooks.services import endpoint_create

    empty_tables(Delivery)
    Endpoint.objects.all().delete()
    return [
        endpoint_create(name=f"bench {n}", url=url, actor=None, event_types=["task.created"])[0]
        for n in range(endpoints)
    ]


def _events(count: int, tag: str) -> list[Any]:
    from integrations.webhooks.events import Event

    return [Event("task.created", f"bench:{tag}:{n}", {"task": {"id": n, "title": f"Task {n}"}}) for n in range(count)]


def phase_queue(args: argparse.Namespace, url: str) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from bench.common import BrokerSpy, measuring_settings
    from integrations.webhooks.models import Delivery
    from integrations.webhooks.services import events_record

    endpoints = _reset(args.endpoints, url)
    events = _events(args.events, "q")
    with measuring_settings(), BrokerSpy():
        started = time.perf_counter()
        rows = events_record(events)
        queue_s = time.perf_counter() - started
        naive_events = _events(max(args.events // 10, 1), "naive")
        started = time.perf_counter()
        with transaction.atomic():
            for event in naive_events:
                for endpoint in endpoints:
                    Delivery.objects.create(endpoint=endpoint, dedupe_key=f"{event.key}:{endpoint.pk}",
                                            event_type=event.type, payload=event.envelope(),
                                            next_attempt_at=timezone.now())  # fmt: skip
        naive_s = time.perf_counter() - started
    naive_rows = len(naive_events) * len(endpoints)
    assert Delivery.objects.count() == rows + naive_rows == (args.events + len(naive_events)) * args.endpoints
    return {"queue": {"rows": rows, "seconds": round(queue_s, 3), "rows_per_s": round(rows / queue_s, 1)},
            "queue_naive": {"rows": naive_rows, "seconds": round(naive_s, 3),
                            "rows_per_s": round(naive_rows / naive_s, 1)}}  # fmt: skip


def phase_deliver(args: argparse.Namespace, url: str, database_url: str) -> dict[str, Any]:
    import requests

    from bench.common import BrokerSpy
    from integrations.webhooks.models import Delivery
    from integrations.webhooks.services import events_record

    _reset(1, url)
    with BrokerSpy():
        events_record(_events(args.deliveries, "d"))
    started = time.perf_counter()
    workers = [
        subprocess.Popen([sys.executable, __file__, "--deliver-worker", database_url], cwd=ROOT)
        for _ in range(args.processes)
    ]
    for worker in workers:
        worker.wait()
    deliver_s = time.perf_counter() - started
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()
    if delivered != args.deliveries:
        raise RuntimeError(f"{delivered} of {args.deliveries} delivered")
    body = b'{"type": "task.created", "data": {"task": {"id": 1}}}'
    with requests.Session() as session:
        started = time.perf_counter()
        for _ in range(args.deliveries):
            session.post(url, data=body, timeout=10).raise_for_status()
        raw_s = time.perf_counter() - started
    rate = round(delivered / deliver_s, 1)
    return {"deliver": {"rows": delivered, "seconds": round(deliver_s, 3), "rows_per_s": rate,
                        "processes": args.processes},
            "raw_post": {"rows": args.deliveries, "seconds": round(raw_s, 3),
                         "rows_per_s": round(args.deliveries / raw_s, 1)}}  # fmt: skip


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_webhooks.sqlite3)")
    parser.add_argument("--no-json", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--deliver-worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    os.environ["HOURGLASS_WEBHOOK_ALLOW_PRIVATE"] = "true"  # the receiver is on loopback
    if args.deliver_worker:
        deliver_worker(args.deliver_worker)
        return 0
    from bench.common import database_info, environment, now_iso, render_table, setup, sqlite_url, write_results

    database_url = args.database_url or sqlite_url("webhooks")  # before setup moves HOURGLASS_VAR_DIR
    database = setup(database_url, name="webhooks")
    if database is None:
        return 1
    url = f"http://127.0.0.1:{args.port}/hook"
    receiver = _start_receiver(args.port)
    try:
        phases = phase_queue(args, url) | phase_deliver(args, url, database_url)
    finally:
        receiver.terminate()
    db = database_info()
    print(f"\nWebhooks bench: {db['version']}, {args.events:,} events x {args.endpoints} endpoints; "
          f"{args.deliveries:,} deliveries by {args.processes} processes, {os.cpu_count()} CPUs")  # fmt: skip
    print(render_table(("phase", "rows", "seconds", "rows/s"),
                       [(key, p["rows"], p["seconds"], p["rows_per_s"]) for key, p in phases.items()]))  # fmt: skip
    ratios = {
        "queue_vs_naive": round(phases["queue"]["rows_per_s"] / phases["queue_naive"]["rows_per_s"], 2),
        "deliver_vs_raw_post": round(phases["deliver"]["rows_per_s"] / phases["raw_post"]["rows_per_s"], 2),
    }
    print(f"queue: {phases['queue']['seconds']} s for {phases['queue']['rows']:,} rows (target <= 5 s), "
          f"x{ratios['queue_vs_naive']} the per-row create; deliver: {phases['deliver']['rows_per_s']}/s "
          f"(target >= 200/s), x{ratios['deliver_vs_raw_post']} bare POSTs in one process")  # fmt: skip
    if not args.no_json:
        path = write_results("webhooks", {"at": now_iso(), "database": db, "environment": environment(),
                                          "args": vars(args), "phases": phases, "ratios": ratios})  # fmt: skip
        print(f"Results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
