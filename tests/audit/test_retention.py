"""Retention: history and login-audit rows past HOURGLASS_AUDIT_RETENTION_DAYS go, in batches, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.utils import timezone

from accounts.models import Account
from config.celery_app import app
from core.audit_retention import audit_purge
from core.tasks import audit_purge_task
from playbooks.models import Task

pytestmark = pytest.mark.django_db


def _age(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    for number in range(5):
        account.name = f"Old name {number}"
        account.save()
    old = timezone.now() - timedelta(days=800)
    Account.history.filter(name__startswith="Old name").update(history_date=old)
    AccessLog.objects.create(username="csm_a1", user_agent="x", ip_address="127.0.0.1", http_accept="*", path_info="/")
    AccessFailureLog.objects.create(username="csm_a1", user_agent="x", ip_address="127.0.0.1", http_accept="*",
                                    path_info="/", locked_out=False)  # fmt: skip
    AccessLog.objects.update(attempt_time=old)
    AccessFailureLog.objects.update(attempt_time=old)


def test_purge_deletes_old_rows_in_batches_and_is_idempotent(org: Any, settings: Any) -> None:
    settings.HOURGLASS_AUDIT_RETENTION_DAYS = 730
    _age(org)
    recent = Account.history.exclude(name__startswith="Old name").count()
    task = Task.objects.create(account=org.accounts["csm_a1"][0], title="Fresh", due_date=timezone.localdate())
    deleted = audit_purge(batch_size=2)
    assert deleted == {"accounts.HistoricalAccount": 5, "axes.AccessLog": 1, "axes.AccessFailureLog": 1}
    assert Account.history.count() == recent
    assert task.history.count() == 1
    assert audit_purge(batch_size=2) == {}  # a second run finds nothing


def test_zero_keeps_everything(org: Any, settings: Any) -> None:
    settings.HOURGLASS_AUDIT_RETENTION_DAYS = 0
    _age(org)
    assert audit_purge() == {}
    assert Account.history.filter(name__startswith="Old name").count() == 5


def test_the_beat_task_runs_the_purge(org: Any, settings: Any) -> None:
    settings.HOURGLASS_AUDIT_RETENTION_DAYS = 730
    _age(org)
    assert audit_purge_task.apply().get()["accounts.HistoricalAccount"] == 5
    entry = app.conf.beat_schedule["core-audit-purge"]
    assert entry["task"] == "core.audit_purge_task"
