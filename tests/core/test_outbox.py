from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from core.models import Notification, OutboundEmail
from core.notifications import notification_send, notifications_mark_read, unread_count
from core.outbox import claim_lease, email_deliver, email_due_ids, email_enqueue
from core.tasks import email_flush_task
from org.models import CsProfile, Role
from tests.conftest import free_port
from tests.factories import make_person


def enqueue(key="k1", **kwargs):
    return email_enqueue(
        dedupe_key=key, to=["csm@example.com"], subject="Renewal in 30 days", body_text="Hello", **kwargs
    )


@pytest.mark.django_db
def test_enqueue_is_idempotent_per_key():
    first, created = enqueue()
    again, created_again = enqueue()
    assert created and not created_again
    assert first.pk == again.pk
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_enqueue_without_recipient_is_refused():
    with pytest.raises(ValueError, match="recipient"):
        email_enqueue(dedupe_key="x", to=[""], subject="s", body_text="b")


@pytest.mark.django_db
def test_deliver_sends_once_to_a_real_smtp_server(smtp_server):
    message, _ = enqueue(body_html="<p>Hello</p>", cc=["manager@example.com"])
    assert email_deliver(message_id=message.pk) is True
    assert email_deliver(message_id=message.pk) is False  # already sent: the claim fails
    received = smtp_server.wait_for(1)
    assert len(received) == 1
    assert received[0]["Subject"] == "Renewal in 30 days"
    assert received[0]["Cc"] == "manager@example.com"
    assert received[0]["Message-ID"].endswith("@hourglass>")
    assert received[0].get_body(("html",)).get_content().strip() == "<p>Hello</p>"
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.SENT and message.attempts == 1


@pytest.mark.django_db
def test_smtp_down_is_retried_with_backoff_then_delivered(settings, smtp_server):
    message, _ = enqueue()
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens: connection refused
    assert email_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.QUEUED
    assert message.attempts == 1
    assert "Error" in message.last_error or "refused" in message.last_error.lower()
    assert message.next_attempt_at > timezone.now()
    assert message.pk not in email_due_ids()  # not before its backoff
    settings.EMAIL_PORT = live_port
    OutboundEmail.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert email_flush_task() == 1
    assert len(smtp_server.wait_for(1)) == 1
    assert email_flush_task() == 0


@pytest.mark.django_db
def test_message_claimed_by_a_dead_worker_is_rescued_after_the_lease(smtp_server):
    message, _ = enqueue()
    OutboundEmail.objects.filter(pk=message.pk).update(
        status=OutboundEmail.Status.SENDING, claimed_at=timezone.now() - timedelta(seconds=10)
    )
    assert email_flush_task() == 0  # another worker may still be sending it
    OutboundEmail.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - claim_lease() - timedelta(seconds=1))
    assert email_flush_task() == 1
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.django_db
def test_gives_up_after_max_attempts_and_shows_failed(settings):
    from core import outbox

    message, _ = enqueue()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    for _ in range(outbox.MAX_ATTEMPTS):
        OutboundEmail.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        email_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.FAILED
    assert message.attempts == outbox.MAX_ATTEMPTS


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_send_once(smtp_server):
    message, _ = enqueue()
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(email_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(smtp_server.wait_for(1, timeout=3)) == 1


@pytest.mark.django_db
def test_notification_once_per_key_with_email_in_the_recipients_language(
    smtp_server, celery_eager, django_capture_on_commit_callbacks
):
    user = make_person(Role.CSM, username="csm.wang", email="wang@example.com", first_name="芳", last_name="王")
    CsProfile.objects.filter(user=user).update(language="zh-hans")
    user.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        first = notification_send(recipient=user, kind="test", title="续费提醒", body="b", dedupe_key="n1", email=True)
        again = notification_send(recipient=user, kind="test", title="续费提醒", body="b", dedupe_key="n1", email=True)
    assert first is not None and again is None
    assert Notification.objects.filter(recipient=user).count() == 1
    received = smtp_server.wait_for(1)
    assert len(received) == 1
    assert "你好" in received[0].get_body(("plain",)).get_content()
    assert unread_count(user=user) == 1
    assert notifications_mark_read(user=user) == 1
    assert unread_count(user=user) == 0
    assert translation.get_language() != "zh-hans"  # the override did not leak


@pytest.mark.django_db
def test_notification_centre_shows_only_own_and_marks_read(client):
    owner = make_person(Role.CSM, username="owner")
    other = make_person(Role.CSM, username="other")
    notification_send(recipient=owner, kind="t", title="Mine")
    notification_send(recipient=other, kind="t", title="Not yours")
    client.force_login(owner)
    page = client.get("/notifications/").content.decode()
    assert "Mine" in page and "Not yours" not in page
    assert 'data-testid="notification-bell"' in page
    # Marking someone else's notification read by id does nothing.
    theirs = Notification.objects.get(recipient=other)
    client.post("/notifications/", {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post("/notifications/")
    assert unread_count(user=owner) == 0
