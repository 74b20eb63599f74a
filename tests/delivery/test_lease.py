"""The outbox claim's lease, its heartbeat, the kept-open SMTP connection and the
Celery settings that make a lost task come back (issue 22, item 5)."""

from __future__ import annotations

import importlib
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from core.models import OutboundEmail
from core.outbox import claim_lease, email_deliver_many, email_due_ids, email_enqueue
from core.tasks import email_flush_task
from tests.conftest import SmtpSink, free_port
from tests.integration.smtp import SlowSmtp, message_ids, smtp_listening


def enqueue(count: int) -> list[int]:
    return [
        email_enqueue(dedupe_key=f"lease:{i}", to=[f"u{i}@example.com"], subject=f"Hi {i}", body_text="x")[0].pk
        for i in range(count)
    ]


class CountingSmtp(SmtpSink):
    """Counts SMTP sessions (EHLO) and refuses one recipient."""

    def __init__(self, refuse: str = "") -> None:
        super().__init__()
        self.sessions = 0
        self.refuse = refuse

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # aiosmtpd hook name
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd hook name
        if address == self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def smtp_settings(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False


@pytest.mark.django_db
def test_a_batch_goes_over_one_connection_and_each_message_is_marked_on_its_own(settings):
    ids = enqueue(5)
    sink = CountingSmtp(refuse="u2@example.com")
    port = free_port()
    smtp_settings(settings, port)
    with smtp_listening(sink, port):
        assert email_deliver_many(ids) == 4
        received = sink.wait_for(4, timeout=5)
    # One session for the two messages before the refusal, a fresh one after it.
    assert sink.sessions == 2
    assert len(received) == 4 and max(message_ids(received).values()) == 1
    rows = {row.pk: row for row in OutboundEmail.objects.all()}
    refused = rows[ids[2]]
    # A 5xx for every recipient is permanent: no retry, the address is reported bounced.
    assert refused.status == OutboundEmail.Status.FAILED and refused.attempts == 1
    assert "550" in refused.last_error and refused.claimed_at is None
    for pk in ids[:2] + ids[3:]:
        assert rows[pk].status == OutboundEmail.Status.SENT and rows[pk].sent_at is not None


@pytest.mark.django_db
def test_the_lease_is_the_setting(settings, smtp_server):
    settings.HOURGLASS_OUTBOX_LEASE_SECONDS = 20
    assert claim_lease() == timedelta(seconds=20)
    (pk,) = enqueue(1)
    claimed = OutboundEmail.objects.filter(pk=pk)
    claimed.update(status=OutboundEmail.Status.SENDING, claimed_at=timezone.now() - timedelta(seconds=19))
    assert email_due_ids() == [] and email_flush_task() == 0  # a live worker still holds it
    claimed.update(claimed_at=timezone.now() - timedelta(seconds=21))
    assert email_due_ids() == [pk] and email_flush_task() == 1
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_slow_batch_from_being_re_claimed(settings):
    """A batch that takes longer than the lease: its worker extends the lease of the rows it
    still holds, so flushes running meanwhile re-claim none of them and nothing goes twice."""
    settings.HOURGLASS_OUTBOX_LEASE_SECONDS = 3
    ids = enqueue(12)
    sink = SlowSmtp(delay=0.4)  # ~5 s for the batch
    port = free_port()
    smtp_settings(settings, port)
    sent: list[int] = []

    def deliver() -> None:
        try:
            sent.append(email_deliver_many(ids))
        finally:
            connection.close()

    with smtp_listening(sink, port):
        worker = threading.Thread(target=deliver)
        worker.start()
        flushed, fresh = [], []
        while worker.is_alive():
            time.sleep(0.5)
            flushed.append(email_flush_task())
            held = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING)
            fresh.append(
                all(row.claimed_at is not None and row.claimed_at > timezone.now() - claim_lease() for row in held)
            )
        worker.join()
    assert sent == [12]
    assert sum(flushed) == 0 and all(fresh) and len(flushed) >= 8  # flushes ran past the lease
    assert len(sink.messages) == 12 and max(message_ids(sink.messages).values()) == 1
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 12


def test_a_task_lost_with_its_worker_is_put_back(monkeypatch, settings):
    from config.celery_app import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.beat_schedule["core-email-flush"]["schedule"] == float(settings.HOURGLASS_OUTBOX_FLUSH_SECONDS)
    from config import celery_settings

    try:
        monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
        monkeypatch.setenv("HOURGLASS_BROKER_VISIBILITY_TIMEOUT", "900")
        assert importlib.reload(celery_settings).CELERY_BROKER_TRANSPORT_OPTIONS == {"visibility_timeout": 900}
        monkeypatch.setenv("HOURGLASS_OUTBOX_LEASE_SECONDS", "1")
        with pytest.raises(ImproperlyConfigured, match="HOURGLASS_OUTBOX_LEASE_SECONDS"):
            importlib.reload(celery_settings)
    finally:
        monkeypatch.undo()
        importlib.reload(celery_settings)
