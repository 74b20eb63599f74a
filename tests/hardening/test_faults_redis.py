"""Fault: Redis (the Celery broker) stops during ingest, then comes back.

A redis-server of the test's own on a free port is the broker of a real worker and of
the test process. While it is down the ingest API still stores every event (the
rollup message is enqueued after commit and a failed enqueue is logged, not raised);
once it is back the worker reconnects, new batches roll up, and ``manage.py repair
rollups`` catches up the account-days whose message was lost. Nothing is lost or
counted twice: events, rollups and activity alerts match a replay-free recount.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from kombu import pools as kombu_pools

from config.celery_app import app as celery_app
from core.tokens import api_token_issue
from health.models import ActivityAlert, DailyRollup, UsageEvent
from tests.conftest import free_port
from tests.health.conftest import make_event
from tests.integration.workers import running_worker, tasks_routed_to, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS = shutil.which("redis-server")


@contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [REDIS or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: _ping(port), timeout=15), "redis-server did not start"
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


def _ping(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5).ping())
    except redis.exceptions.ConnectionError:
        return False


@contextmanager
def broker(url: str, settings: Any) -> Iterator[None]:
    """Point the test process's Celery app (and the worker, via settings) at ``url``."""
    previous = celery_app.conf["CELERY_BROKER_URL"]
    settings.CELERY_BROKER_URL = url

    def reset() -> None:
        # kombu keeps producer pools in a process-wide registry keyed by the broker
        # URL: closing only the app's pool would leave a closed pool there for the
        # next test on the same URL ("Acquire on closed pool"). Reset them all.
        kombu_pools.reset()
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    # Celery reads the CELERY_BROKER_URL environment variable before its own setting
    # (CI sets it): switch both, and put both back.
    previous_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf["CELERY_BROKER_URL"] = url
    reset()
    try:
        yield
    finally:
        if previous_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous_env
        celery_app.conf["CELERY_BROKER_URL"] = previous
        reset()


def post_events(client: Any, token: str, events: list[dict[str, Any]]) -> Any:
    return client.post(
        "/api/v1/events/bulk", data=events, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )


def rollup_total(account: Any, day: date) -> int:
    return DailyRollup.objects.filter(account=account, day=day).aggregate(n=Sum("events"))["n"] or 0


def test_ingest_survives_a_redis_outage_without_loss_or_duplicates(org, client, settings):
    settings.HOURGLASS_INGEST_RATE = "10000/min"
    account = org.accounts["csm_a1"][0]
    token = api_token_issue(user=org.admin)
    # Recent days: the repair leaves days past event retention alone.
    d1 = timezone.localdate() - timedelta(days=12)
    d2, d3 = d1 + timedelta(days=1), d1 + timedelta(days=2)
    day1, day2, day3 = d1.isoformat(), d2.isoformat(), d3.isoformat()

    def batch(prefix: str, day: str, n: int) -> list[dict[str, Any]]:
        return [make_event(account, i, event_id=f"{prefix}-{i}", occurred_at=f"{day}T09:30:00+00:00") for i in range(n)]

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with broker(url, settings), running_worker() as worker, tasks_routed_to("health.*", worker.queue):
        # The worker's queue is its own: health's messages are routed there (the router
        # is rebuilt, so a queue cached by an earlier test in this process is not used).
        with redis_server(port):
            assert post_events(client, token, batch("a", day1, 30)).status_code == 201
            assert wait_for(lambda: rollup_total(account, d1) == 30), worker.logs()

        # Redis is down: the API still stores every event; replays stay duplicates.
        response = post_events(client, token, batch("b", day2, 20))
        assert response.status_code == 201, response.content
        assert post_events(client, token, batch("a", day1, 30)).status_code == 200
        assert UsageEvent.objects.filter(account=account).count() == 50

        with redis_server(port):
            # Back: the worker reconnects and new batches roll up again.
            assert post_events(client, token, batch("c", day3, 10)).status_code == 201
            assert wait_for(lambda: rollup_total(account, d3) == 10), worker.logs()
            # The outage's message is gone; the repair command recomputes from the events.
            call_command("repair", "rollups", "--start", day1, "--end", day3, stdout=StringIO())
            alerts_before = ActivityAlert.objects.count()
            call_command("repair", "rollups", "--start", day1, "--end", day3, stdout=StringIO())

    assert UsageEvent.objects.filter(account=account).count() == 60
    assert rollup_total(account, d1) == 30
    assert rollup_total(account, d2) == 20
    assert rollup_total(account, d3) == 10
    assert DailyRollup.objects.filter(account=account).count() == 3
    assert ActivityAlert.objects.count() == alerts_before
