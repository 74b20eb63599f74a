"""The activity-drop scan on a real Celery worker; the alert email arrives at a real SMTP server."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Notification
from health.models import ActivityAlert
from health.tasks import activity_drop_scan_task
from tests.integration.workers import running_worker, wait_for

from .conftest import make_rollups

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_scans_and_the_alert_email_arrives_once(org, smtp_server):
    account = org.accounts["csm_a1"][0]
    scan_day = timezone.localdate() - timedelta(days=1)  # the worker's default day
    low_from = scan_day - timedelta(days=5)
    make_rollups(account, lambda day: 20 if day < low_from else 1, start=scan_day - timedelta(days=60), end=scan_day)
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_server.port)}
    with running_worker(extra_env=env) as worker:
        activity_drop_scan_task.apply_async(queue=worker.queue)
        received = smtp_server.wait_for(1, timeout=60)
        assert len(received) == 1, worker.logs()
        activity_drop_scan_task.apply_async(queue=worker.queue)  # a re-run raises nothing new
        assert wait_for(lambda: "activity_drop_scan_task" in worker.logs() and worker.logs().count("succeeded") >= 3)
        time.sleep(2)
    assert len(smtp_server.messages) == 1
    [message] = smtp_server.messages
    assert str(message["To"]) == org.csm_a1.email and account.name in str(message["Subject"])
    assert ActivityAlert.objects.filter(account=account).count() == 1
    assert Notification.objects.filter(recipient=org.csm_a1, kind="activity_drop").count() == 1
