"""The daily silence scan on a real Celery worker: one email at a real SMTP server, and
the silent account rescored by the same worker."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
from django.utils import timezone

from accounts.models import PurchasedProduct
from core.clock import local_date, local_zone
from health.models import ActivityAlert, AlertKind, DailyRollup, HealthScore
from health.tasks import activity_silence_scan_task
from tests.integration.workers import running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_raises_one_silence_alert_emails_the_owner_once_and_rescores(org, smtp_server):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=10)
    last = timezone.now() - timedelta(hours=30)
    last_day = local_date(last)
    rows = []
    for back in range(60):  # usage all day, every day, until 30 hours ago
        day = last_day - timedelta(days=back)
        first_at = datetime.combine(day, clock(0, 0, 1), tzinfo=local_zone())
        last_at = last if back == 0 else datetime.combine(day, clock(23, 59, 59), tzinfo=local_zone())
        rows.append(
            DailyRollup(
                account=account, day=day, events=40, active_users=5, first_event_at=first_at, last_event_at=last_at
            )
        )
    DailyRollup.objects.bulk_create(rows)
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_server.port), "HOURGLASS_HEALTH_RESCORE_DELAY": "1"}
    with running_worker(extra_env=env) as worker:
        activity_silence_scan_task.apply_async(queue=worker.queue)
        received = smtp_server.wait_for(1, timeout=60)
        assert len(received) == 1, worker.logs()
        activity_silence_scan_task.apply_async(queue=worker.queue)  # a re-run raises nothing new
        assert wait_for(lambda: worker.task_count("health.activity_silence_scan_task") == 2), worker.logs()
        assert wait_for(lambda: HealthScore.objects.filter(account=account, day=timezone.localdate()).exists())
        time.sleep(2)
    assert len(smtp_server.messages) == 1
    [message] = smtp_server.messages
    assert str(message["To"]) == org.csm_a1.email and account.name in str(message["Subject"])
    [alert] = ActivityAlert.objects.filter(account=account)
    assert alert.kind == AlertKind.SILENCE and alert.last_event_at == last
    assert worker.task_count("health.score_requests_task") == 1
