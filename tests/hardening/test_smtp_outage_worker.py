"""Fault: the SMTP server is down (connection refused) while a real worker sends
renewal reminders, then comes back on the same port.

While it is down every reminder stays in the outbox, queued with its attempt counted,
the error kept and the next attempt pushed back (never "sent", never dropped, not
"failed" before the attempts run out). Once a real SMTP server (aiosmtpd) listens on
the port, the flush task delivers each message exactly once; further flushes and
sweeps send nothing more.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboundEmail
from core.tasks import email_flush_task
from renewals.models import RenewalReminder
from renewals.tasks import reminder_sweep_task
from tests.conftest import SmtpSink, free_port
from tests.integration.smtp import message_ids, smtp_env, smtp_listening
from tests.integration.workers import running_worker, wait_for
from tests.renewals.conftest import make_renewal

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REMINDERS = 6
FLUSH = email_flush_task.name


def attempts() -> list[int]:
    return sorted(OutboundEmail.objects.values_list("attempts", flat=True))


def all_queued_after(count: int) -> bool:
    """Every message queued again after ``count`` failed attempts (none claimed now)."""
    rows = OutboundEmail.objects.all()
    return (
        rows.count() == REMINDERS
        and not rows.exclude(status=OutboundEmail.Status.QUEUED).exists()
        and attempts() == [count] * REMINDERS
    )


def backoff_elapsed() -> None:
    """Time passes beyond the retry backoff (the worker's own clock is real)."""
    OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_smtp_refused_then_back_delivers_every_reminder_exactly_once(org):
    today = timezone.localdate()  # the worker uses the real date
    owners = [org.csm_a1, org.csm_a2, org.csm_b1]
    renewals = [make_renewal(owners[i % 3], days_left=(90, 60, 30, 7)[i % 4], today=today) for i in range(REMINDERS)]
    port = free_port()  # nothing listens here: connections are refused
    with running_worker(extra_env=smtp_env(port)) as worker:
        reminder_sweep_task.apply_async(queue=worker.queue)
        # Each delivery is tried once after the sweep commits, and fails.
        assert wait_for(lambda: all_queued_after(1), timeout=120), worker.logs()
        for message in OutboundEmail.objects.all():
            assert message.sent_at is None and message.claimed_at is None
            assert "refused" in message.last_error.lower(), message.last_error
            assert message.next_attempt_at is not None and message.next_attempt_at > timezone.now()  # backed off
        # Nothing lost: every reminder is claimed once and its message kept.
        assert sorted(RenewalReminder.objects.values_list("renewal_id", flat=True)) == sorted(r.pk for r in renewals)

        # A flush before the backoff has passed leaves the messages alone.
        email_flush_task.apply_async(queue=worker.queue)
        assert wait_for(lambda: worker.task_count(FLUSH) == 1), worker.logs()
        assert all_queued_after(1)

        # Still down when the retry comes: counted again, backed off further, still queued.
        first_retry = dict(OutboundEmail.objects.values_list("pk", "next_attempt_at"))
        backoff_elapsed()
        email_flush_task.apply_async(queue=worker.queue)
        assert wait_for(lambda: worker.task_count(FLUSH) == 2), worker.logs()
        assert all_queued_after(2), list(OutboundEmail.objects.values("status", "attempts", "last_error"))
        for pk, next_attempt_at in OutboundEmail.objects.values_list("pk", "next_attempt_at"):
            before = first_retry[pk]
            assert next_attempt_at is not None and before is not None and next_attempt_at > before

        # The SMTP server comes back on the same port.
        sink = SmtpSink()
        with smtp_listening(sink, port):
            backoff_elapsed()
            email_flush_task.apply_async(queue=worker.queue)
            received = sink.wait_for(REMINDERS, timeout=120)
            assert len(received) == REMINDERS, worker.logs()
            # Later flushes and a repeated sweep send nothing more.
            email_flush_task.apply_async(queue=worker.queue)
            reminder_sweep_task.apply_async(queue=worker.queue)
            assert wait_for(lambda: worker.task_count(FLUSH) == 4), worker.logs()
            assert wait_for(lambda: worker.task_count(reminder_sweep_task.name) == 2), worker.logs()
            time.sleep(2)  # anything extra would arrive now

    assert len(sink.messages) == REMINDERS
    counts = message_ids(sink.messages)
    assert len(counts) == REMINDERS and max(counts.values()) == 1
    assert Counter(str(m["To"]) for m in sink.messages) == Counter(r.account.owner.email for r in renewals)
    for renewal in renewals:
        assert sum(renewal.account.name in str(m["Subject"]) for m in sink.messages) == 1
    sent = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT)
    assert sent.count() == OutboundEmail.objects.count() == REMINDERS
    assert set(sent.values_list("attempts", flat=True)) == {3}
    assert not sent.exclude(last_error="").exists()
    assert RenewalReminder.objects.count() == REMINDERS
