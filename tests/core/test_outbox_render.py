"""Emails rendered at delivery: enqueued with a renderer's name, rendered once by the
delivering worker, kept for retries; a renderer that fails is a failed attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboundEmail
from core.outbox import (
    MAX_ATTEMPTS,
    EmailDraft,
    email_bodies,
    email_deliver,
    email_renderer_register,
    emails_enqueue,
)
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

CALLS: list[dict] = []


def greeting(*, name: str) -> tuple[str, str]:
    CALLS.append({"name": name})
    if name == "broken":
        raise LookupError("the reminder this email was about is gone")
    return f"Hello {name}", f"<p>Hello {name}</p>"


email_renderer_register("tests.greeting", greeting)


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


def queue(name: str, key: str = "render-1") -> OutboundEmail:
    draft = EmailDraft(
        dedupe_key=key, to=["csm@example.com"], subject="Hi", render_with="tests.greeting", render_args={"name": name}
    )
    return emails_enqueue([draft])[key]


def due_now(message: OutboundEmail) -> None:
    OutboundEmail.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_rendered_by_the_delivering_worker_and_kept(smtp_server):
    message = queue("Li Lei")
    assert CALLS == []  # enqueuing renders nothing
    assert email_bodies(message) == ("Hello Li Lei", "<p>Hello Li Lei</p>")  # a preview saves nothing
    assert OutboundEmail.objects.get(pk=message.pk).body_text == ""
    assert email_deliver(message_id=message.pk) is True
    (received,) = smtp_server.wait_for(1)
    assert received.get_body(("plain",)).get_content().strip() == "Hello Li Lei"
    assert received.get_body(("html",)).get_content().strip() == "<p>Hello Li Lei</p>"
    message.refresh_from_db()
    assert (message.status, message.body_text, message.body_html) == (
        OutboundEmail.Status.SENT,
        "Hello Li Lei",
        "<p>Hello Li Lei</p>",
    )


def test_a_retry_sends_what_the_first_attempt_rendered(settings, smtp_server):
    message = queue("Han Meimei")
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # SMTP down
    assert email_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.QUEUED and message.body_text == "Hello Han Meimei"
    settings.EMAIL_PORT = live_port
    due_now(message)
    assert email_deliver(message_id=message.pk) is True
    assert len(CALLS) == 1  # rendered once, on the first attempt
    assert smtp_server.wait_for(1)[0].get_body(("plain",)).get_content().strip() == "Hello Han Meimei"


def test_a_renderer_that_fails_is_retried_then_shown_failed(smtp_server):
    message = queue("broken")
    for _ in range(MAX_ATTEMPTS):
        assert email_deliver(message_id=message.pk) is False
        due_now(message)
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.FAILED and message.attempts == MAX_ATTEMPTS
    assert message.last_error == "LookupError: the reminder this email was about is gone"
    assert message.body_text == ""
    assert smtp_server.messages == []


def test_unknown_renderer_or_no_body_is_refused_before_anything_is_written():
    unknown = EmailDraft(dedupe_key="u", to=["a@example.com"], subject="s", render_with="nope")
    empty = EmailDraft(dedupe_key="e", to=["a@example.com"], subject="s")
    with pytest.raises(ValueError, match="no email renderer registered as 'nope'"):
        emails_enqueue([unknown])
    with pytest.raises(ValueError, match="a text body or a renderer"):
        emails_enqueue([empty])
    assert OutboundEmail.objects.count() == 0
