"""Digests through real Celery workers, the configured broker and a real SMTP server:
the beat task run twice, or by two workers at once, sends each person one email."""

from __future__ import annotations

import time as clock
from collections import Counter
from datetime import time

import pytest
from django.utils import timezone

from core.models import OutboundEmail
from integrations.digests.models import DigestClaim
from integrations.digests.tasks import digest_sweep_task
from playbooks.models import Task
from tests.digests.conftest import prefer
from tests.integration.smtp import smtp_env
from tests.integration.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Only the people the test chose: the others' default time may not have come yet.
ENV = {"HOURGLASS_DIGEST_DAILY_DEFAULT": "false"}


def digest_book(org) -> set[str]:
    """Due right away (00:00 local); returns who must receive a digest."""
    today = timezone.localdate()  # the workers use the real date
    for user in (org.csm_a1, org.csm_a2, org.csm_b1, org.manager_a):
        prefer(user, send_at=time(0, 0))
    for user in (org.csm_a1, org.csm_a2):
        Task.objects.create(account=org.accounts[user.username][0], assignee=user, title="Call", due_date=today)
    # csm_b1 has nothing to report: no email. manager_a gets the team roll-up.
    return {org.csm_a1.email, org.csm_a2.email, org.manager_a.email}


def recipients(messages) -> Counter:
    return Counter(str(message["To"]) for message in messages)


def test_the_beat_task_twice_sends_one_digest_per_person(org, smtp_server):
    expected = digest_book(org)
    with running_worker(extra_env={**smtp_env(smtp_server.port), **ENV}) as worker:
        digest_sweep_task.apply_async(queue=worker.queue)
        received = smtp_server.wait_for(len(expected), timeout=90)
        assert len(received) == len(expected), worker.logs()
        digest_sweep_task.apply_async(queue=worker.queue)
        clock.sleep(4)
        assert worker.task_count("digests.digest_sweep_task") == 2, worker.logs()
    assert recipients(smtp_server.messages) == Counter(expected)
    subjects = {str(message["Subject"]) for message in smtp_server.messages}
    assert subjects == {f"Your daily digest for {timezone.localdate().isoformat()}"}
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == len(expected)
    assert DigestClaim.objects.filter(outcome="empty").get().user_id == org.csm_b1.pk


def test_two_workers_sweeping_at_once_send_one_digest_per_person(org, smtp_server):
    expected = digest_book(org)
    env = {**smtp_env(smtp_server.port), **ENV}
    with running_worker(extra_env=env, concurrency=2) as first, running_worker(extra_env=env, concurrency=2) as second:
        for _ in range(2):
            digest_sweep_task.apply_async(queue=first.queue)
            digest_sweep_task.apply_async(queue=second.queue)
        received = smtp_server.wait_for(len(expected), timeout=90)
        assert len(received) == len(expected), first.logs() + second.logs()
        clock.sleep(4)  # anything sent twice would have arrived by now
    assert recipients(smtp_server.messages) == Counter(expected)
    assert DigestClaim.objects.count() == 4
