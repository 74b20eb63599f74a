"""Ingest → rollup task on a real Celery worker → DailyRollup rows, over real connections."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from config.celery_app import app as celery_app
from health.models import DailyRollup
from health.services import events_ingest
from tests.integration.workers import running_worker

from .conftest import make_event

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@contextmanager
def health_tasks_routed_to(queue: str) -> Iterator[None]:
    """Send health tasks to the test worker's own queue (the service enqueues with a
    plain .delay(), which would go to the default queue). Celery caches both the route
    table and the router, so both are rebuilt, and put back afterwards."""
    conf, amqp = celery_app.conf, celery_app.amqp
    previous_routes, previous_router = conf.task_routes, amqp.router
    conf.CELERY_TASK_ROUTES = {"health.*": {"queue": queue}}
    amqp.flush_routes()
    amqp.router = amqp.Router()
    try:
        yield
    finally:
        conf.CELERY_TASK_ROUTES = previous_routes
        amqp.flush_routes()
        amqp.router = previous_router


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_ingest_then_worker_builds_rollups(org):
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, n, user_id=f"u{n % 2}") for n in range(5)]
    with running_worker() as worker, health_tasks_routed_to(worker.queue):
        # transaction=True: the ingest really commits, so on_commit really enqueues.
        result = events_ingest(actor=org.csm_a1, events=events)
        assert result.stored == 5
        assert wait_for(lambda: DailyRollup.objects.filter(account=account).exists()), worker.logs()
    row = DailyRollup.objects.get(account=account)
    assert (row.day, row.events, row.active_users) == (date(2025, 6, 10), 5, 2)
