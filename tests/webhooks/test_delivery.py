"""Delivery against a real HTTP receiver on loopback: signature, retries, breaker, log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.models import Notification, OutboundEmail
from integrations.webhooks.delivery import deliveries_claim, deliveries_send
from integrations.webhooks.events import Event
from integrations.webhooks.models import Delivery, Endpoint
from integrations.webhooks.services import delivery_redeliver, endpoint_create, endpoint_update, events_record
from tests.webhooks.receiver import Receiver, signature_valid

pytestmark = pytest.mark.django_db


def _endpoint(org: Any, receiver: Receiver, types: tuple[str, ...] = ("task.created",)) -> tuple[Endpoint, str]:
    return endpoint_create(name="Receiver", url=receiver.url, actor=org.admin, event_types=types)


def _event(n: int = 1, kind: str = "task.created") -> Event:
    return Event(kind, f"test:{kind}:{n}", {"n": n})


def _once() -> int:
    """One pass of the worker, in-process: claim what is due and send it."""
    return deliveries_send(deliveries_claim())


def _drain(rounds: int = 10) -> None:
    """Passes until nothing is due (retries are due at once with the tests' zero backoff)."""
    for _ in range(rounds):
        _once()


def test_delivery_is_signed_and_carries_a_delivery_id(org, receiver):
    _endpoint_row, secret = _endpoint(org, receiver)
    events_record([_event()])
    _once()
    (got,) = receiver.received
    assert signature_valid(secret, got)
    assert not signature_valid("whsec_wrong", got)
    delivery = Delivery.objects.get()
    body = got.json()
    assert body["delivery_id"] == got.headers["hourglass-delivery"] == str(delivery.delivery_id)
    assert body["type"] == got.headers["hourglass-event"] == "task.created"
    assert body["version"] == 1 and body["data"] == {"n": 1} and body["id"] == "test:task.created:1"
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 1
    assert delivery.response_code == 200 and delivery.response_excerpt == '{"ok": true}'


def test_only_subscribed_active_endpoints_get_the_event_and_recording_twice_queues_once(org, receiver):
    subscribed, _ = _endpoint(org, receiver)
    _endpoint(org, receiver, types=("renewal.closed",))
    off, _ = _endpoint(org, receiver)
    Endpoint.objects.filter(pk=off.pk).update(active=False)
    events_record([_event()])
    events_record([_event()])
    assert list(Delivery.objects.values_list("endpoint_id", flat=True)) == [subscribed.pk]


def test_two_500s_then_success_shows_three_attempts(org, receiver):
    receiver.script = [500, 500]
    _endpoint(org, receiver)
    events_record([_event()])
    _once()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.QUEUED and delivery.attempts == 1 and delivery.response_code == 500
    _drain()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 3
    assert len(receiver.received) == 3
    assert set(receiver.delivery_ids()) == {str(delivery.delivery_id)}  # one id across attempts


def test_backoff_waits_before_the_retry(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.script = [503]
    _endpoint(org, receiver)
    events_record([_event()])
    _drain(3)
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and len(receiver.received) == 1
    assert delivery.next_attempt_at is not None
    assert timedelta(seconds=29) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)


@pytest.mark.parametrize("status", [400, 404, 410, 301])
def test_client_errors_are_not_retried(org, receiver, status):
    receiver.script = [status]
    _endpoint(org, receiver)
    events_record([_event()])
    _drain()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 1
    assert delivery.response_code == status and delivery.last_error == f"HTTP {status}"
    assert len(receiver.received) == 1


def test_429_is_retried_after_its_retry_after(org, receiver):
    receiver.script = ["429:120"]
    _endpoint(org, receiver)
    events_record([_event()])
    _drain()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.QUEUED and delivery.response_code == 429
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=110)
    Delivery.objects.update(next_attempt_at=timezone.now())
    _drain()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2


def test_timeout_and_connection_errors_are_retried(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.script = ["slow:1"]
    _endpoint(org, receiver)
    dead = endpoint_create(
        name="Closed port", url="http://127.0.0.1:9/hook", actor=org.admin, event_types=["task.created"]
    )[0]
    events_record([_event()])
    _once()
    by_endpoint = {d.endpoint_id: d for d in Delivery.objects.all()}
    assert (
        by_endpoint[dead.pk].status == Delivery.Status.QUEUED and "ConnectionError" in by_endpoint[dead.pk].last_error
    )
    timed_out = next(d for pk, d in by_endpoint.items() if pk != dead.pk)
    assert timed_out.status == Delivery.Status.QUEUED and timed_out.last_error == "timeout"
    assert timed_out.response_code is None
    _drain(2)
    timed_out.refresh_from_db()
    assert timed_out.status == Delivery.Status.DELIVERED and timed_out.attempts == 2


def test_response_is_read_up_to_the_limit_and_the_log_keeps_its_first_bytes(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_RESPONSE_LIMIT = 1000
    receiver.answer_body = b"x" * 100_000
    _endpoint(org, receiver)
    events_record([_event()])
    _once()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.response_excerpt == "x" * 512


def test_attempts_run_out(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_MAX_ATTEMPTS = 3
    settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD = 100
    receiver.default = 500
    _endpoint(org, receiver)
    events_record([_event()])
    _drain()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 3 and len(receiver.received) == 3


def test_breaker_opens_after_consecutive_failures_and_a_probe_closes_it(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD = 2
    receiver.script = [500, 500]
    endpoint, _ = _endpoint(org, receiver)
    events_record([_event(n) for n in range(5)])
    _once()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 2
    assert endpoint.breaker_open_until is not None and endpoint.breaker_open_until > timezone.now()
    # While open: the other rows wait, with no attempt spent and nothing sent.
    assert len(receiver.received) == 2
    assert Delivery.objects.filter(attempts=0, status=Delivery.Status.QUEUED).count() == 3
    _drain()
    assert len(receiver.received) == 2
    assert Delivery.objects.filter(attempts=0, status=Delivery.Status.QUEUED).count() == 3
    # Half-open: the first row probes; its success closes the breaker and the rest go.
    Endpoint.objects.filter(pk=endpoint.pk).update(breaker_open_until=timezone.now())
    Delivery.objects.update(next_attempt_at=timezone.now())
    _drain()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.breaker_open_until is None and endpoint.failing_since is None
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 5


def test_endpoint_failing_for_24_hours_is_disabled_and_its_admin_notified(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD = 100
    receiver.default = 500
    endpoint, _ = _endpoint(org, receiver)
    events_record([_event(1)])
    _once()
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is not None
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(hours=24, minutes=1))
    _once()
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason
    notification = Notification.objects.get(recipient=org.admin, kind="webhook_disabled")
    assert "Receiver" in notification.title
    assert OutboundEmail.objects.filter(to=[org.admin.email]).count() == 1
    # Disabled: its queued row waits (nothing sent) and new events skip it, until an
    # admin turns it on again.
    sent = len(receiver.received)
    events_record([_event(2)])
    _drain()
    assert len(receiver.received) == sent and Delivery.objects.count() == 1
    receiver.default = 200
    endpoint_update(
        endpoint=endpoint, name=endpoint.name, url=endpoint.url, active=True, event_types=endpoint.event_types
    )
    _drain()
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_redeliver_sends_again_with_the_same_delivery_id(org, receiver):
    _endpoint(org, receiver)
    events_record([_event()])
    _once()
    delivery = Delivery.objects.get()
    assert delivery_redeliver(delivery=delivery)
    _once()
    assert len(receiver.received) == 2 and receiver.delivery_ids() == {str(delivery.delivery_id): 2}


def test_redeliver_leaves_a_row_being_sent_alone(org, receiver):
    _endpoint(org, receiver)
    events_record([_event()])
    Delivery.objects.update(status=Delivery.Status.SENDING, claimed_at=timezone.now())
    assert not delivery_redeliver(delivery=Delivery.objects.get())
