"""The system status page: admins only; late jobs in red; failures with retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from core.models import OutboundEmail, TaskFailure, WorkerHeartbeat
from tests.metrics.conftest import succeeded

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["manager_a", "csm_a1"])
def test_managers_and_csms_are_refused(client, org, role) -> None:
    client.force_login(getattr(org, role))
    assert client.get(reverse("system:status")).status_code == 403
    assert client.post(reverse("system:email_retry", args=[1])).status_code == 403


def test_anonymous_goes_to_login(client, db) -> None:
    response = client.get(reverse("system:status"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_nightly_recompute_not_run_for_26_hours_shows_late(client, org, frozen) -> None:
    succeeded("health-scores-nightly", at=frozen.now, task_name="health.score_all_accounts_task")
    succeeded("core-heartbeat", at=frozen.now)
    client.force_login(org.admin)
    frozen.move(hours=23)
    succeeded("core-heartbeat", at=frozen.now)
    page = client.get(reverse("system:status")).content.decode()
    assert 'data-testid="job-health-scores-nightly" data-late' not in page
    frozen.move(hours=3)
    succeeded("core-heartbeat", at=frozen.now)
    page = client.get(reverse("system:status")).content.decode()
    assert 'class="table-danger" data-testid="job-health-scores-nightly" data-late="true"' in page
    assert "health-scores-nightly is late by 1\xa0hour" in page
    assert 'class="" data-testid="job-core-heartbeat">' in page


def test_the_page_shows_workers_queues_outbox_database_and_retention(client, org, frozen) -> None:
    WorkerHeartbeat.objects.create(hostname="celery@host1", last_seen=frozen.now - timedelta(minutes=2))
    queued = OutboundEmail.objects.create(dedupe_key="notification:9", to=["a@example.com"], subject="s", body_text="b")
    OutboundEmail.objects.filter(pk=queued.pk).update(created_at=frozen.now - timedelta(hours=2))
    client.force_login(org.admin)
    response = client.get(reverse("system:status"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "celery@host1" in page
    assert "1 waiting, 0 failed, 0 sent kept." in page and "Oldest waiting for 2\xa0hours" in page
    assert 'data-testid="queues"' in page and "celery" in page
    database = response.context["status"].database
    assert database.vendor == connection.vendor and database.total_bytes > 0
    assert database.tables and all(size >= 0 for _name, size in database.tables)  # dbstat on SQLite
    assert database.tables[0][0] in page
    if connection.vendor == "sqlite":
        assert "The event table is not partitioned on this database." in page
    else:
        assert "health_usageevent_p" in page and "months ahead have a partition" in page
    assert "HOURGLASS_EVENT_RETENTION_DAYS" in page and "HOURGLASS_DELIVERY_LOG_RETENTION_DAYS" in page
    assert 'href="/system/"' in page  # the admin's navigation links it


def test_navigation_hides_the_page_from_others(client, org) -> None:
    client.force_login(org.manager_a)
    assert 'href="/system/"' not in client.get(reverse("my_day")).content.decode()


def test_retry_a_failed_email(client, org) -> None:
    failed = OutboundEmail.objects.create(
        dedupe_key="k", to=["a@example.com"], subject="s", body_text="b", status="failed", attempts=8
    )
    client.force_login(org.admin)
    page = client.get(reverse("system:status")).content.decode()
    assert reverse("system:email_retry", args=[failed.pk]) in page
    response = client.post(reverse("system:email_retry", args=[failed.pk]), follow=True)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("queued", 0)
    assert "The email is queued again." in response.content.decode()
    again = client.post(reverse("system:email_retry", args=[failed.pk]), follow=True)  # not failed any more
    assert "That email is no longer failed." in again.content.decode()
    assert client.post(reverse("system:email_retry", args=[999999]), follow=True).status_code == 200


def test_retry_a_failed_task_sends_it_again(client, org, django_capture_on_commit_callbacks, monkeypatch) -> None:
    sent = []
    from config.celery_app import app

    monkeypatch.setattr(app, "send_task", lambda name, **kw: sent.append((name, kw)))
    failure = TaskFailure.objects.create(
        task_name="health.score_recompute_task", task_id="t1", kwargs={"account_ids": [1, 2]}, exception="Boom"
    )
    client.force_login(org.admin)
    assert "health.score_recompute_task" in client.get(reverse("system:status")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("system:task_retry", args=[failure.pk]))
    assert sent == [("health.score_recompute_task", {"args": [], "kwargs": {"account_ids": [1, 2]}})]
    assert not TaskFailure.objects.filter(pk=failure.pk).exists()
    response = client.post(reverse("system:task_retry", args=[failure.pk]), follow=True)
    assert "That failure was already retried." in response.content.decode()


def test_get_is_not_a_retry(client, org) -> None:
    client.force_login(org.admin)
    assert client.get(reverse("system:email_retry", args=[1])).status_code == 405


def test_the_page_reads_in_chinese(client, org, frozen) -> None:
    succeeded("health-scores-nightly", at=frozen.now - timedelta(hours=26))
    client.force_login(org.admin)
    page = client.get(reverse("system:status"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "系统状态" in page and "定时任务" in page and "数据保留" in page
    assert "已延迟" in page  # the late banner


def test_a_retry_with_the_broker_down_keeps_the_failure(client, org, monkeypatch) -> None:
    from kombu.exceptions import OperationalError

    from config.celery_app import app

    def refuse(*_: object, **__: object) -> None:
        raise OperationalError("Connection refused")

    monkeypatch.setattr(app, "send_task", refuse)
    failure = TaskFailure.objects.create(task_name="health.score_recompute_task", task_id="t2")
    client.force_login(org.admin)
    response = client.post(reverse("system:task_retry", args=[failure.pk]), follow=True)
    assert "The task queue is unreachable: nothing was retried." in response.content.decode()
    assert TaskFailure.objects.filter(pk=failure.pk).exists()
