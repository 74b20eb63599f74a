"""Time (and optionally profile) one page in-process, as a given user, in production mode.

    .venv/bin/python bench/profile_page.py /accounts/ --user load_csm \
        --database-url postgres://postgres@127.0.0.1:5432/hourglass_load [--repeat 50] [--profile 30]

The quick look before and after a change to a page: Django's test client (no network,
no gunicorn), the settings of production mode (``DEBUG=false``: the hashed static
files' manifest, which this collects first, cached templates), the user's session forced. Prints the
status, the queries per request, p50/p95/mean milliseconds over ``--repeat`` requests
(after 3 warm-up ones) and, with ``--profile N``, the N most expensive functions by
their own time and by cumulative time (cProfile over the same requests: slower, so
the timings printed then are the profiled ones). The database must hold the user and
their data already (``make load`` creates ``hourglass_load``; the other benches their own).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/profile_page.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.bootstrap import configure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the URL path, with its query string, e.g. /accounts/?page=2")
    parser.add_argument("--user", required=True, help="username to view the page as")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--htmx", action="store_true", help="send HX-Request (the page's partial)")
    parser.add_argument("--dump", default="", help="with --profile: also write the cProfile stats to this file")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args()

    # Production mode, as ``make load`` runs gunicorn (bench/load/run.py), on plain HTTP.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "profile-page-only-not-a-secret-" + "x" * 40)
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["HOURGLASS_TRUST_PROXY_HEADERS"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    configure(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    call_command("collectstatic", interactive=False, verbosity=0)
    user = get_user_model().objects.get(username=args.user)
    headers = {"HX-Request": "true"} if args.htmx else {}
    with override_settings(ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(user)
        for _ in range(3):
            response = client.get(args.path, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(args.path, headers=headers)
        print(
            f"{args.path} as {args.user}: HTTP {response.status_code}, {len(response.content):,} bytes, "
            f"{len(queries.captured_queries)} queries"
        )
        profiler = cProfile.Profile() if args.profile else None
        timings = []
        cpu_start = time.process_time()
        for _ in range(args.repeat):
            if profiler:
                profiler.enable()
            start = time.perf_counter()
            client.get(args.path, headers=headers)
            timings.append((time.perf_counter() - start) * 1000)
            if profiler:
                profiler.disable()
    cpu_ms = (time.process_time() - cpu_start) * 1000 / max(1, args.repeat)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"{len(timings)} requests{' (profiled)' if profiler else ''}: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {p95:.1f} ms, mean {statistics.fmean(timings):.1f} ms; this process's CPU {cpu_ms:.1f} ms a request "
        "(the database's is not in it; steadier than the clock on a shared machine)"
    )
    if profiler and args.dump:
        profiler.dump_stats(args.dump)
    if profiler:
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(args.profile)
            print(f"--- by {key} ---")
            print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
