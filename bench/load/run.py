"""``make load``: gunicorn on loopback with PostgreSQL + Redis, driven by locust (headless).

Creates its own database (``hourglass_load`` by default; DATABASE_URL overrides) and
data (a CSM with a book of accounts, an API token), starts gunicorn, runs locust for a
bounded time and prints req/s and p50/p95/p99 per page and for the ingest API (with the
events/s it implies).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# The load accounts' external ids start with this; a book of another layout (older
# versions of this script made bare factory accounts) or size is replaced.
LOAD_PREFIX = "LOAD2"


def prepare(accounts: int) -> dict[str, str]:
    """Migrate and create the load data once (idempotent); returns the locust environment."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import Account
    from core.tokens import api_token_issue
    from org.models import Role
    from tests.factories import make_person

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production mode serves the manifest
    user_model = get_user_model()
    csm = user_model.objects.filter(username="load_csm").first() or make_person(
        Role.CSM, username="load_csm", first_name="Load", last_name="CSM"
    )
    book = Account.objects.filter(owner=csm)
    if book.count() != accounts or book.exclude(external_id__startswith=f"{LOAD_PREFIX}-").exists():
        print(f"Building the load book: {accounts} accounts with their health, renewals and stages ...")
        book.delete()
        seed_book(csm, accounts)
    client = Client()
    client.force_login(csm)
    own = list(Account.objects.filter(owner=csm).values_list("pk", "external_id"))
    return {
        "HOURGLASS_LOAD_SURVEY_TOKENS": prepare_survey(csm),
        "HOURGLASS_LOAD_SESSION": client.cookies["sessionid"].value,
        "HOURGLASS_LOAD_ACCOUNTS": ",".join(str(pk) for pk, _ in own),
        "HOURGLASS_LOAD_EXTERNAL_IDS": ",".join(ext for _, ext in own if ext),
        "HOURGLASS_LOAD_TOKEN": api_token_issue(user=csm),
    }


def prepare_survey(csm: Any, recipients: int = 500) -> str:
    """A sent NPS survey with ``recipients`` live links over the load book's contacts (made
    once); their tokens, comma-separated, for ``SurveyPageUser``."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Account, Stakeholder
    from outreach.emails import recipient_token
    from outreach.models import Survey, SurveyRecipient

    survey = Survey.objects.filter(name="Load NPS").first() or Survey.objects.create(
        kind="nps", name="Load NPS", status="sent"
    )
    if SurveyRecipient.objects.filter(survey=survey).count() < recipients:
        accounts = list(Account.objects.filter(owner=csm).order_by("pk"))
        people = [
            Stakeholder.objects.get_or_create(
                account=account, email=f"load.{account.pk}@customer.test", defaults={"name": f"Load {account.pk}"}
            )[0]
            for account in accounts
        ]
        now = timezone.now()
        SurveyRecipient.objects.bulk_create(
            [
                SurveyRecipient(
                    survey=survey, wave=f"load:{n}", account=person.account, stakeholder=person, email=person.email,
                    language="en" if n % 2 else "zh-hans", status="queued", sent_at=now,
                    expires_at=now + timedelta(days=3650),
                )
                for n, person in ((n, people[n % len(people)]) for n in range(recipients))
            ],
            ignore_conflicts=True,
        )  # fmt: skip
    ids = SurveyRecipient.objects.filter(survey=survey).values_list("pk", flat=True)
    return ",".join(recipient_token(pk) for pk in ids)


def seed_book(csm: Any, accounts: int) -> None:
    """A CSM's book as it looks in use: the demo data's generators, run on ``csm``'s accounts.

    Varied accounts (every industry and segment, go-live dates around today), dossiers,
    stakeholders and touchpoints, six weeks of usage with health scores (today and a
    week ago), contracts with open renewals, lifecycle stages and their playbook tasks:
    every column of the book page has something to show, as it has for a real CSM.
    """
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from accounts.demo import generate_accounts, seed_dossiers, seed_people_and_timeline
    from accounts.models import Account
    from core.demo import DemoContext
    from health import demo as health_demo
    from org.models import Role
    from playbooks import demo as playbooks_demo
    from renewals import demo as renewals_demo
    from tests.factories import make_person

    admin = get_user_model().objects.filter(username="load_admin").first() or make_person(
        Role.ADMIN, username="load_admin"
    )
    ctx = DemoContext(rng=random.Random(42), today=timezone.localdate(), accounts=accounts, users={"admin": admin})
    rows = list(
        generate_accounts(
            rng=ctx.rng,
            count=accounts,
            owners_by_industry={},
            fallback_owners=[csm],
            today=ctx.today,
            external_id_prefix=LOAD_PREFIX,
        )
    )
    for row in rows:
        row.owner = csm
    with transaction.atomic():
        bulk_create_with_history(rows, Account, batch_size=1000, default_user=admin)
        book = list(Account.objects.filter(owner=csm).select_related("owner").order_by("pk"))
        seed_people_and_timeline(ctx, book)
        seed_dossiers(ctx, book)
        ctx.shared["accounts"] = list(Account.objects.filter(owner=csm).select_related("owner").order_by("pk"))
        for module in (health_demo, renewals_demo, playbooks_demo):
            module.seed(ctx)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    for line in ctx.summary:
        print(f"  {line}")


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--only", choices=["pages", "book", "ingest", "survey", "all"], default="all")
    parser.add_argument("--tool", choices=["locust", "wrk"], default="locust", help="wrk: the book page only")
    args = parser.parse_args()

    database_url = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hourglass_load")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": os.environ.get("LOAD_BROKER_URL", "redis://127.0.0.1:6379/8"),
        "HOURGLASS_INGEST_RATE": "1000000/min",
        # The survey page's per-address limit stays on (its cache counter is part of the
        # cost) but cannot be reached from the one loopback address.
        "HOURGLASS_SURVEY_RATE_PER_MINUTE": "1000000000",
        "LOG_LEVEL": "WARNING",
        # Production mode, as deployed (cached templates, no SQL kept per request), on
        # plain HTTP: loopback has no TLS proxy in front.
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-bench-only-not-a-secret-" + "x" * 40),
        "SECURE_SSL_REDIRECT": "false",
        "HOURGLASS_TRUST_PROXY_HEADERS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    os.environ.update(env)
    ensure_database(database_url)
    locust_env = prepare(args.accounts)
    base = f"http://127.0.0.1:{args.port}"
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{args.port}",
         "-w", str(args.workers), "--log-level", "warning"],
        cwd=REPO, env=env,
    )  # fmt: skip
    try:
        wait_up(f"{base}/healthz")
        out = Path(tempfile.mkdtemp(prefix="hourglass-load-"))
        if args.tool == "wrk":
            run_wrk(base, locust_env, args)
            return
        if args.only == "survey":
            run_survey(base, locust_env, env, args, out)
            return
        classes = {
            "pages": ["CsmUser"],
            "book": ["BookPageUser"],
            "ingest": ["IngestClient"],
            "all": ["CsmUser", "IngestClient"],
        }[args.only]
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(REPO / "bench/load/locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "-H", base,
             "--csv", str(out / "load"), "--only-summary", *classes],
            cwd=REPO, env={**env, **locust_env}, check=False,
        )  # fmt: skip
        report(out / "load_stats.csv", args)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)


def _locust(base: str, classes: list[str], env: dict[str, str], args: argparse.Namespace, prefix: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(REPO / "bench/load/locustfile.py"), "--headless",
         "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "-H", base,
         "--csv", str(prefix), "--only-summary", *classes],
        cwd=REPO, env=env, check=False,
    )  # fmt: skip


def _total(stats_path: Path) -> dict[str, str]:
    with stats_path.open() as f:
        return next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")


def run_survey(base: str, locust_env: dict[str, str], env: dict[str, str], args: argparse.Namespace, out: Path) -> None:
    """The public survey page, then the login page (the baseline), each alone for
    ``--seconds`` against the same gunicorn: req/s of each and their ratio."""
    _locust(base, ["LoginPageUser"], {**env, **locust_env}, args, out / "login")
    _locust(base, ["SurveyPageUser"], {**env, **locust_env}, args, out / "survey")
    login, survey = _total(out / "login_stats.csv"), _total(out / "survey_stats.csv")
    print(f"\nLoad: {args.users} users, {args.seconds} s each, {args.workers} gunicorn workers, {os.cpu_count()} cores")
    print(f"load average: {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
    print(f"{'name':32} {'requests':>9} {'fails':>6} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for name, row in (("login page (baseline)", login), ("survey answer page", survey)):
        print(
            f"{name:32} {row['Request Count']:>9} {row['Failure Count']:>6} {float(row['Requests/s']):8.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    ratio = float(survey["Requests/s"]) / max(float(login["Requests/s"]), 0.001)
    print(f"survey page / login page: x{ratio:.2f} the baseline's req/s (goal: 200 req/s)")


# wrk prints p50/p75/p90/p99; this adds the p95 (and the others in ms) on one line.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %d %d %d %d %d\\n", summary.requests, summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def run_wrk(base: str, locust_env: dict[str, str], args: argparse.Namespace) -> None:
    """The book page with wrk (C, one thread): the load generator takes far less of the
    two cores than locust's Python, so more of them serve requests."""
    if args.only != "book":
        raise SystemExit("--tool wrk measures the book page only (--only book)")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    script = Path(tempfile.mkdtemp(prefix="hourglass-wrk-")) / "p95.lua"
    script.write_text(WRK_SCRIPT)
    before = cpu_seconds_by_program()
    result = subprocess.run(
        [wrk, "-t1", f"-c{args.users}", f"-d{args.seconds}s", "-s", str(script),
         "-H", f"Cookie: sessionid={locust_env['HOURGLASS_LOAD_SESSION']}", f"{base}/accounts/"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    after = cpu_seconds_by_program()
    line = next(row for row in result.stdout.splitlines() if row.startswith("WRK "))
    requests, errors, duration_us, p50, p95, p99 = (int(value) for value in line.split()[1:])
    setup = f"{args.users} connections, {args.seconds} s, {args.workers} gunicorn workers, {os.cpu_count()} cores"
    print(f"\nLoad (wrk): {setup}")
    print(f"{'name':32} {'requests':>9} {'fails':>6} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    print(
        f"{'accounts list (book)':32} {requests:>9} {errors:>6} {requests / (duration_us / 1e6):8.1f} "
        f"{p50 / 1000:7.0f} {p95 / 1000:7.0f} {p99 / 1000:7.0f}"
    )
    if requests:
        spent = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
        shares = ", ".join(
            f"{name} {seconds * 1000 / requests:.1f}"
            for name, seconds in sorted(spent.items(), key=lambda item: -item[1])
            if seconds * 1000 / requests >= 0.05
        )
        print(f"CPU per request, ms (what each program spent during the run / requests): {shares}")


def cpu_seconds_by_program() -> dict[str, float]:
    """CPU time (user + system) of every process on the machine, summed by program name
    (``/proc/<pid>/stat``; the gunicorn workers show as ``python``): where the cores went.
    Processes that end during the run are not counted (PostgreSQL's backends persist:
    ``CONN_MAX_AGE``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # utime and stime are fields 14 and 15 of stat(5); here counted from field 3.
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return totals


def report(stats_path: Path, args: argparse.Namespace) -> None:
    batch = int(os.environ.get("HOURGLASS_LOAD_BATCH", "1000"))
    print(f"\nLoad: {args.users} users, {args.seconds} s, {args.workers} gunicorn workers, {os.cpu_count()} cores")
    print(f"{'name':32} {'requests':>9} {'fails':>6} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    with stats_path.open() as f:
        for row in csv.DictReader(f):
            line = (
                f"{row['Name']:32} {row['Request Count']:>9} {row['Failure Count']:>6} "
                f"{float(row['Requests/s']):8.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
            )
            if row["Name"].startswith("ingest"):
                line += f"   = {float(row['Requests/s']) * batch:,.0f} events/s"
            print(line)


if __name__ == "__main__":
    main()
