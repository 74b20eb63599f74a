"""Fault: PostgreSQL restarts while a real gunicorn serves the ingest API.

The cluster is the test's own (``pg_cluster``), gunicorn runs two workers with pooled
connections (``CONN_MAX_AGE``) against it. While it is down every batch is answered 503
with ``Retry-After`` and nothing of it is stored; once it is back the same gunicorn
(not restarted) answers 201 again, because ``CONN_HEALTH_CHECKS`` replaces the dead
pooled connections. A batch in flight when the server dies is stored whole or not at
all. The rollup repair sweep, cut off by a restart, completes on its next run with
nothing counted twice.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import free_port
from tests.integration.workers import wait_for

from .pg_cluster import Cluster, private_cluster

pytestmark = pytest.mark.integration

REPO = Path(settings.BASE_DIR)
SEED = """
from accounts.models import Account
from core.tokens import api_token_issue
from org.models import Role
from org.services import person_create
admin = person_create(username="pg.restart.admin", role=Role.ADMIN, first_name="Pg", last_name="Restart")
account = Account.objects.create(name="Restart Co", external_id="PGR-1")
print("SEED", account.pk, api_token_issue(user=admin))
"""


def app_env(cluster: Cluster, var: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "CACHE_URL"))}
    return {
        **keep,
        "DEBUG": "false",
        "SECRET_KEY": "ingest-test-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "AXES_ENABLED": "false",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no proxy in front
        "DATABASE_URL": cluster.url("hourglass"),
        "CONN_MAX_AGE": "600",
        "HOURGLASS_VAR_DIR": str(var),
        "CELERY_BROKER_URL": "filesystem://",
        "HOURGLASS_INGEST_EVENTS_PER_MINUTE": "100000000",
        "HOURGLASS_INGEST_RATE": "100000/min",
        "HOURGLASS_DB_RETRY_AFTER": "7",
        "HOURGLASS_EVENT_RETENTION_DAYS": "0",
    }


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    if check and done.returncode:
        raise AssertionError(f"manage.py {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-4000:]}")
    return done


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    var = tmp_path_factory.mktemp("pg-restart")
    with private_cluster() as cluster:
        with cluster.connect() as conn:
            conn.execute("CREATE DATABASE hourglass")
        env = app_env(cluster, var)
        manage(env, "migrate", "--noinput", "-v0")
        seed = manage(env, "shell", "-c", SEED).stdout.split("SEED", 1)[1].split()
        port = free_port()
        log = var / "gunicorn.log"
        with log.open("wb") as out:
            web = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", "2", "--timeout", "60"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            assert wait_for(lambda: _listening(port), timeout=60), log.read_text()[-3000:]
            yield {"cluster": cluster, "env": env, "port": port, "account": int(seed[0]), "token": seed[1], "log": log}
        finally:
            web.terminate()
            web.wait(timeout=30)


def _listening(port: int) -> bool:
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
        return True
    except OSError:
        return False


def post(site: dict[str, Any], events: list[dict[str, Any]]) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", site["port"], timeout=60)
    body = json.dumps(events).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {site['token']}"}
    connection.request("POST", "/api/v1/events/bulk", body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(content or b"null")


DAY = date.today() - timedelta(days=3)


def batch(site: dict[str, Any], prefix: str, n: int, day: date = DAY) -> list[dict[str, Any]]:
    return [
        {
            "account_id": site["account"],
            "occurred_at": f"{day.isoformat()}T{2 + i % 8:02d}:{i % 60:02d}:00+00:00",
            "event_name": "report.viewed",
            "user_id": f"u{i % 5}",
            "event_id": f"{prefix}-{i}",
        }
        for i in range(n)
    ]


def count(site: dict[str, Any], prefix: str = "") -> int:
    with site["cluster"].connect("hourglass") as conn:
        row = conn.execute("SELECT count(*) FROM health_usageevent WHERE event_id LIKE %s", [prefix + "%"]).fetchone()
    return int(row[0]) if row else 0


def test_ingest_answers_503_while_postgresql_is_down_and_recovers_without_restarting(site):
    cluster: Cluster = site["cluster"]
    # Enough requests that both gunicorn workers hold a pooled connection.
    for n in range(4):
        status, _headers, body = post(site, batch(site, f"a{n}", 50))
        assert (status, body) == (201, {"stored": 50, "duplicates": 0})

    cluster.stop("fast")
    for _attempt in range(4):
        status, headers, body = post(site, batch(site, "b", 50))
        assert status == 503, body
        assert headers["retry-after"] == "7"
        assert headers["content-type"].startswith("application/json")
        assert "database" in body["detail"]

    cluster.start()
    for n in range(4):  # every worker's dead connection is replaced, none answers 500
        status, _headers, body = post(site, batch(site, f"c{n}", 50))
        assert (status, body) == (201, {"stored": 50, "duplicates": 0}), body
    status, _headers, body = post(site, batch(site, "b", 50))  # the refused batch, resent
    assert (status, body) == (201, {"stored": 50, "duplicates": 0})
    status, _headers, body = post(site, batch(site, "a0", 50))  # a replay stays a replay
    assert (status, body) == (200, {"stored": 0, "duplicates": 50})
    assert count(site) == 4 * 50 + 50 + 4 * 50


def test_a_batch_cut_off_by_a_crash_is_stored_whole_or_not_at_all(site):
    cluster: Cluster = site["cluster"]
    answers: list[int] = []
    big = batch(site, "inflight", 10_000)
    sender = threading.Thread(target=lambda: answers.append(post(site, big)[0]))
    sender.start()
    cluster.stop("immediate")  # a crash: no checkpoint, every backend killed
    sender.join(timeout=60)
    cluster.start()
    stored = count(site, "inflight-")
    assert answers and answers[0] in (201, 503)
    assert stored == (10_000 if answers[0] == 201 else 0)
    status, _headers, body = post(site, big)  # the client retries: complete, nothing doubled
    assert status in (200, 201)
    assert body["stored"] + body["duplicates"] == 10_000
    assert count(site, "inflight-") == 10_000


def test_a_rollup_sweep_cut_off_by_a_restart_completes_on_its_next_run(site):
    cluster: Cluster = site["cluster"]
    days = [DAY - timedelta(days=10 + n) for n in range(10)]
    for n, day in enumerate(days):
        assert post(site, batch(site, f"sweep{n}", 30 + n, day))[0] == 201
    start, end = min(days).isoformat(), max(days).isoformat()
    sweep = subprocess.Popen(
        [sys.executable, "manage.py", "repair", "rollups", "--start", start, "--end", end],
        cwd=REPO, env=site["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    cluster.stop("immediate")
    sweep.communicate(timeout=120)
    cluster.start()
    manage(site["env"], "repair", "rollups", "--start", start, "--end", end)
    manage(site["env"], "repair", "rollups", "--start", start, "--end", end)  # a rerun changes nothing
    with cluster.connect("hourglass") as conn:
        rollups = dict(
            conn.execute(
                "SELECT day, events FROM health_dailyrollup WHERE account_id = %s AND day BETWEEN %s AND %s",
                [site["account"], min(days), max(days)],
            ).fetchall()
        )
        recount = conn.execute(
            "SELECT count(*) FROM health_usageevent WHERE account_id = %s AND event_id LIKE 'sweep%%'",
            [site["account"]],
        ).fetchone()
    assert {day: rollups.get(day) for day in days} == {day: 30 + n for n, day in enumerate(days)}
    assert recount is not None and sum(rollups.values()) == recount[0]
