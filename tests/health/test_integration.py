"""Ingest → rollup task on a real Celery worker → DailyRollup rows, over real connections."""

from __future__ import annotations

from datetime import date

import pytest

from health.models import DailyRollup
from health.services import events_ingest
from tests.integration.workers import running_worker, tasks_routed_to, wait_for

from .conftest import make_event

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_ingest_then_worker_builds_rollups(org):
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, n, user_id=f"u{n % 2}") for n in range(5)]
    with running_worker() as worker, tasks_routed_to("health.*", worker.queue):
        # transaction=True: the ingest really commits, so on_commit really enqueues.
        result = events_ingest(actor=org.csm_a1, events=events)
        assert result.stored == 5
        assert wait_for(lambda: DailyRollup.objects.filter(account=account).exists()), worker.logs()
    row = DailyRollup.objects.get(account=account)
    assert (row.day, row.events, row.active_users) == (date(2025, 6, 10), 5, 2)
