"""Hourglass behind PgBouncer in transaction mode: nothing depends on session state.

A private PgBouncer (Debian's, ``make pgbouncer``) pools a fresh PostgreSQL database with
three server connections for every client; each step runs in a process of its own with
``DATABASE_URL`` pointing at PgBouncer, and real Celery workers go through it too. The
checks read the database directly. Any state left on a server connection between
transactions (a session advisory lock, a server-side cursor, a prepared statement, a
temporary table, a ``SET``) would surface here as an error or as a lock that does not
exclude, since consecutive transactions of one client land on different server connections.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import psycopg
import pytest

from tests.integration.workers import REPO, running_worker, wait_for

from .pgbouncer import PG_HOST, PG_PORT, PG_USER, fresh_database, running_pgbouncer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]


def run_step(url: str, queue: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HOURGLASS_PGBOUNCER": "true",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    if args[0] == "migrate":
        command = [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"]
    else:
        command = [sys.executable, "-m", "tests.scaling.steps", *args]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, (
        f"{' '.join(args)} failed through PgBouncer:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    )
    return json.loads(done.stdout.strip().splitlines()[-1]) if args[0] != "migrate" else {}


def count(database: str, sql: str) -> int:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True) as direct:
        row = direct.execute(sql).fetchone()
        return int(row[0]) if row else 0


def execute(database: str, sql: str) -> None:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True) as direct:
        direct.execute(sql)


def test_the_app_runs_through_pgbouncer_in_transaction_mode():
    name = f"hg_pgbouncer_{uuid.uuid4().hex[:8]}"
    queue = f"test-pgb-{uuid.uuid4().hex[:8]}"
    with fresh_database(name) as database, running_pgbouncer(database) as bouncer:
        assert bouncer.pool_mode() == "transaction"
        url = bouncer.url()

        # Migrations on the fresh database, through PgBouncer.
        run_step(url, queue, "migrate", timeout=1200)
        assert count(database, "SELECT count(*) FROM django_migrations") > 50

        # No prepared statements (HOURGLASS_PGBOUNCER), and the time zone Django sets
        # survives another client's SET on the same server connections.
        state = run_step(url, queue, "session_state")
        assert state == {"before": "UTC", "after": "UTC", "prepare_threshold": None}, state

        env = {
            "DATABASE_URL": url,
            "HOURGLASS_PGBOUNCER": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        with running_worker(queue=queue, extra_env=env) as one, running_worker(queue=queue, extra_env=env) as two:
            workers = (one, two)

            # One ingest batch: COPY in one transaction, rollups by the worker, then the
            # rescore of the touched accounts.
            seeded = run_step(url, queue, "seed", "12", "300")
            assert seeded == {"accounts": 12, "stored": 300}
            assert count(database, "SELECT count(*) FROM health_usageevent") == 300
            assert wait_for(
                lambda: count(database, "SELECT count(DISTINCT account_id) FROM health_dailyrollup") == 12, timeout=120
            ), "\n".join(w.logs() for w in workers)
            assert count(database, "SELECT sum(events) FROM health_dailyrollup") == 300

            # The nightly recompute: chunks scored by the workers (a temporary staging
            # table and COPY inside each chunk's transaction).
            run_step(url, queue, "dispatch", "scores")
            assert wait_for(
                lambda: count(database, "SELECT count(DISTINCT account_id) FROM health_healthscore") == 12, timeout=120
            ), "\n".join(w.logs() for w in workers)

            # Saving the accounts staged them (a refresh per saved account): undo that,
            # so the sweeps below do the work.
            assert wait_for(lambda: count(database, "SELECT count(*) FROM playbooks_accountstage") == 12, timeout=120)
            execute(database, "DELETE FROM playbooks_accountstage")
            execute(database, "DELETE FROM accounts_timelineentry WHERE kind = 'stage_changed'")
            refreshes_before = sum(w.task_count("playbooks.stage_refresh_task") for w in workers)

            # The reminder sweep and the stage sweep, each sent twice at once: every
            # reminder claimed once, every account staged once.
            for what in ("reminders", "stages"):
                first = subprocess.Popen(
                    [sys.executable, "-m", "tests.scaling.steps", "dispatch", what],
                    cwd=REPO,
                    env={**os.environ, **env, "CELERY_TASK_DEFAULT_QUEUE": queue},
                )
                run_step(url, queue, "dispatch", what)
                assert first.wait(timeout=300) == 0
            assert wait_for(
                lambda: count(database, "SELECT count(*) FROM renewals_renewalreminder") == 12, timeout=180
            ), "\n".join(w.logs() for w in workers)
            assert wait_for(
                lambda: count(database, "SELECT count(*) FROM playbooks_accountstage") == 12, timeout=180
            ), "\n".join(w.logs() for w in workers)
            assert wait_for(
                lambda: sum(w.task_count("playbooks.stage_refresh_task") for w in workers) == refreshes_before + 2,
                timeout=120,
            ), "\n".join(w.logs() for w in workers)
            assert count(database, "SELECT count(*) FROM renewals_renewalreminder") == 12
            assert (
                count(
                    database,
                    "SELECT count(*) FROM (SELECT renewal_id, threshold_days FROM renewals_renewalreminder "
                    "GROUP BY 1, 2 HAVING count(*) > 1) AS twice",
                )
                == 0
            )
            assert count(database, "SELECT count(*) FROM accounts_timelineentry WHERE kind = 'stage_changed'") == 12
            for worker in workers:  # no task failed, no database error anywhere
                log = worker.log_path.read_text(errors="replace")
                assert "raised unexpected" not in log and "psycopg" not in log, worker.logs()

        # Locks still exclude: a chunk held through one connection is refused to another.
        assert run_step(url, queue, "claims") == {"while_held": False, "other": True, "after": True}

        # And all of it went through PgBouncer.
        assert bouncer.stats()["xacts"] > 100, bouncer.logs()
