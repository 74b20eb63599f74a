"""Reminders through a real Celery worker, the configured broker and a real SMTP server."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from core.models import OutboundEmail
from renewals.models import RenewalReminder
from renewals.tasks import reminder_sweep_task
from tests.conftest import free_port
from tests.integration.smtp import SlowSmtp, kill_while_mailing_then_recover, smtp_env
from tests.integration.workers import running_worker
from tests.renewals.conftest import make_renewal

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def due_renewals(org, count: int):
    today = timezone.localdate()  # the worker uses the real date
    owners = [org.csm_a1, org.csm_a2, org.csm_b1]
    return [
        make_renewal(owners[i % 3], days_left=(90, 60, 30, 7, 3)[i % 5], today=today, at_risk=i % 4 == 0)
        for i in range(count)
    ]


def no_duplicates(messages) -> Counter:
    return Counter((str(m["To"]), str(m["Subject"])) for m in messages)


def test_worker_runs_the_sweep_and_the_email_arrives(org, smtp_server):
    renewals = due_renewals(org, 5)
    with running_worker(extra_env=smtp_env(smtp_server.port)) as worker:
        reminder_sweep_task.apply_async(queue=worker.queue)
        received = smtp_server.wait_for(len(renewals), timeout=60)
        assert len(received) == len(renewals), worker.logs()
        reminder_sweep_task.apply_async(queue=worker.queue)  # a repeated run sends nothing
        time.sleep(3)
    assert len(smtp_server.messages) == len(renewals)
    assert max(no_duplicates(smtp_server.messages).values()) == 1
    assert RenewalReminder.objects.exclude(queued_at=None).count() == len(renewals)
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == len(renewals)


def test_worker_killed_mid_run_loses_and_duplicates_nothing(org):
    from aiosmtpd.controller import Controller

    sink = SlowSmtp(delay=0.3)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        renewals = due_renewals(org, 12)

        def all_queued() -> None:  # every reminder was claimed and queued before the deliveries began
            assert RenewalReminder.objects.count() == len(renewals)

        kill_while_mailing_then_recover(
            job=reminder_sweep_task, expected=len(renewals), sink=sink, port=port, all_queued=all_queued
        )
        assert len(sink.messages) == len(renewals)
        counts = no_duplicates(sink.messages)
        assert len(counts) == len(renewals) and max(counts.values()) == 1
        assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == len(renewals)
        assert {r.pk for r in renewals} == set(RenewalReminder.objects.values_list("renewal_id", flat=True))
    finally:
        controller.stop()
