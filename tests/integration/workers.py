"""Start a real Celery worker process for a test, wired to the test database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """A DATABASE_URL for the database the test run created (test_… on PostgreSQL)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    queue: str
    hostname: str
    log_path: Path

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def task_count(self, task_name: str, state: str = "succeeded") -> int:
        """How many ``task_name`` tasks the whole log shows ``received`` / ``succeeded``."""
        log = self.log_path.read_text(errors="replace")
        return len(re.findall(rf"{re.escape(task_name)}\[[0-9a-f-]+\] {state}", log))


@contextmanager
def running_worker(
    *, concurrency: int = 1, extra_env: dict[str, str] | None = None, queue: str | None = None
) -> Iterator[Worker]:
    """A worker on a queue of its own, so a shared broker never mixes test messages (or on
    ``queue``, shared with other test workers started with the same one)."""
    name = f"{queue}-{uuid.uuid4().hex[:6]}" if queue else None  # several workers, one queue
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    hostname = f"{name or queue}@{os.uname().nodename}"
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **(extra_env or {}),
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "-n",
            hostname,
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield Worker(process=process, queue=queue, hostname=hostname, log_path=Path(log.name))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate: Callable[[], Any], timeout: float = 90.0, interval: float = 0.2) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@contextmanager
def tasks_routed_to(pattern: str, queue: str) -> Iterator[None]:
    """Send the tasks matching ``pattern`` (e.g. ``"health.*"``) to a test worker's queue.

    Services enqueue with a plain ``.delay()``, which would go to the default queue.
    Celery caches both the route table and the router: rebuild both, then put them back.
    """
    from config.celery_app import app as celery_app

    conf, amqp = celery_app.conf, celery_app.amqp
    previous_routes, previous_router = conf.task_routes, amqp.router
    conf.CELERY_TASK_ROUTES = {pattern: {"queue": queue}}
    amqp.flush_routes()
    amqp.router = amqp.Router()
    try:
        yield
    finally:
        conf.CELERY_TASK_ROUTES = previous_routes
        amqp.flush_routes()
        amqp.router = previous_router
