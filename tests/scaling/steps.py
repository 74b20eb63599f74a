"""Steps of the PgBouncer test, each run in a process of its own through PgBouncer:

    DATABASE_URL=postgres://…@127.0.0.1:<pgbouncer>/<db> python -m tests.scaling.steps <step>

Prints one JSON line with what the step did. The test (``test_pgbouncer.py``) starts the
Celery workers and checks the database directly (not through PgBouncer).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def seed(renewals: int, events: int) -> dict[str, Any]:
    """Owners, ``renewals`` accounts each owed a reminder today, and one ingest batch of
    ``events`` events over them (its rollups go to the worker after commit)."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Account
    from health.services import events_ingest
    from org.models import Role
    from tests.delivery.harness import make_due_renewals
    from tests.factories import make_person

    owners = [make_person(Role.CSM, username=f"pgb-csm-{i}", email=f"pgb-csm-{i}@example.com") for i in range(3)]
    admin = make_person(Role.ADMIN, username="pgb-admin", email="pgb-admin@example.com")
    made = make_due_renewals(owners, renewals)
    accounts = list(Account.objects.filter(pk__in=[r.account_id for r in made]).order_by("pk"))
    now = timezone.now()
    batch = [
        {
            "account_id": accounts[n % len(accounts)].pk,
            "occurred_at": (now - timedelta(hours=n % 48)).isoformat(),
            "event_name": ("report.viewed", "login")[n % 2],
            "user_id": f"u{n % 5}",
            "quantity": 1,
            "event_id": f"pgb-{n}",
        }
        for n in range(events)
    ]
    result = events_ingest(actor=admin, events=batch)
    return {"accounts": len(accounts), "stored": result.stored}


def dispatch(what: str) -> dict[str, Any]:
    """Send what beat sends (the chunks go to the worker's queue)."""
    from core.clock import local_date

    if what == "scores":
        from health.tasks import health_scores_dispatch

        return {"chunks": health_scores_dispatch(everything=True)}
    if what == "stages":
        from playbooks.tasks import stage_sweep_dispatch

        return {"accounts": stage_sweep_dispatch(day=local_date())}
    from renewals.reminders import reminder_sweep_dispatch

    return {"batches": reminder_sweep_dispatch().tasks}


def claims() -> dict[str, Any]:
    """Two connections through PgBouncer: a chunk held by one is refused to the other,
    another chunk is not, and the chunk is free again once the holder's transaction ends."""
    from django.db import connections

    from core.locks import chunk_claim

    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with chunk_claim("pgbouncer-test:chunk-1") as claimed:
                assert claimed
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(30)
    with chunk_claim("pgbouncer-test:chunk-1") as while_held:
        pass
    with chunk_claim("pgbouncer-test:chunk-2") as other:
        pass
    release.set()
    thread.join(30)
    with chunk_claim("pgbouncer-test:chunk-1") as after:
        pass
    return {"while_held": while_held, "other": other, "after": after}


def session_state() -> dict[str, Any]:
    """What a connection sees when another client changed session settings of the same
    server connection: PgBouncer re-applies the tracked ones (the time zone Django sets),
    and the app uses no other."""
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone')")
        before = cursor.fetchone()[0]
    params = connection.get_connection_params()
    other = psycopg.connect(
        host=params["host"], port=params["port"], user=params["user"], dbname=params["dbname"], autocommit=True
    )
    with other:
        for _ in range(6):  # every server connection of the pool gets the other client's setting
            other.execute("SET TimeZone = 'Asia/Shanghai'")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('TimeZone')")
            after = cursor.fetchone()[0]
    return {"before": before, "after": after, "prepare_threshold": params.get("prepare_threshold", "unset")}


def main() -> None:
    import django

    django.setup()
    step, *args = sys.argv[1:]
    if step == "seed":
        out = seed(int(args[0]), int(args[1]))
    elif step == "dispatch":
        out = dispatch(args[0])
    elif step == "claims":
        out = claims()
    elif step == "session_state":
        out = session_state()
    else:
        raise SystemExit(f"unknown step {step!r}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
