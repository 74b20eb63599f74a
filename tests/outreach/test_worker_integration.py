"""Survey emails through a real Celery worker, the configured broker and a real SMTP
server: sent once, and a worker SIGKILLed mid-delivery loses and duplicates nothing."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from accounts.models import Stakeholder
from core.models import OutboundEmail
from outreach.models import RecipientStatus, Survey, SurveyRecipient
from outreach.services import survey_send
from outreach.tasks import survey_dispatch_task
from tests.conftest import free_port
from tests.integration.smtp import SlowSmtp, kill_while_mailing_then_recover, smtp_env
from tests.integration.workers import running_worker

# Real worker processes on a shared 2-core machine: slower than the default 300 s limit at times.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

NO_QUIET_HOURS = {"HOURGLASS_SURVEY_QUIET_START": "0", "HOURGLASS_SURVEY_QUIET_END": "0"}


def decided(org: Any, count: int) -> Survey:
    accounts = org.accounts["csm_a1"]
    for n in range(count):
        Stakeholder.objects.create(account=accounts[n % 2], name=f"Contact {n}", email=f"c{n}@customer.test")
    survey = Survey.objects.create(kind="nps", name="Worker NPS")
    assert survey_send(survey=survey, actor=org.csm_a1).chosen == count
    return survey


def by_recipient(messages: list[Any]) -> Counter:
    return Counter(str(message["To"]) for message in messages)


def test_worker_dispatches_and_a_rerun_sends_nothing(org, smtp_server):
    decided(org, 5)
    with running_worker(extra_env={**smtp_env(smtp_server.port), **NO_QUIET_HOURS}) as worker:
        survey_dispatch_task.apply_async(queue=worker.queue)
        assert len(smtp_server.wait_for(5, timeout=60)) == 5, worker.logs()
        survey_dispatch_task.apply_async(queue=worker.queue)  # a duplicate sweep
        survey_dispatch_task.apply_async(queue=worker.queue)
        time.sleep(3)
    assert len(smtp_server.messages) == 5 and max(by_recipient(smtp_server.messages).values()) == 1


def test_worker_killed_mid_delivery_loses_and_duplicates_nothing(org, monkeypatch):
    from aiosmtpd.controller import Controller

    import tests.integration.smtp as harness

    monkeypatch.setattr(harness, "smtp_env", lambda port: {**smtp_env(port), **NO_QUIET_HOURS})
    sink = SlowSmtp(delay=0.3)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        decided(org, 12)

        def all_queued() -> None:
            assert SurveyRecipient.objects.filter(status=RecipientStatus.QUEUED).count() == 12

        kill_while_mailing_then_recover(
            job=survey_dispatch_task, expected=12, sink=sink, port=port, all_queued=all_queued
        )
        counts = by_recipient(sink.messages)
        assert len(counts) == 12 and max(counts.values()) == 1
        assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 12
    finally:
        controller.stop()
