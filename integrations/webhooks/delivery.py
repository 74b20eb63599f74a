"""Delivering the outbox: claim a batch atomically, POST each row, record the answer.

- A claim is one UPDATE of due rows to "sending" under a fresh token; only the worker
  holding the token sends them, so two workers never send the same row at once. A
  worker killed mid-batch leaves its rows "sending"; once the lease expires the sweep
  claims them again — the receiver may get a row twice, always with the same
  ``Hourglass-Delivery`` id (at least once, idempotent by id).
- Retried with exponential backoff on connection errors, timeouts, 5xx and 429; any
  other answer outside 2xx fails the row at once (no redirects are followed).
- Per endpoint: ``BREAKER_THRESHOLD`` consecutive failures open the breaker (rows wait,
  without spending attempts, until it half-opens: one probe decides); failing for
  ``DISABLE_AFTER_HOURS`` disables the endpoint and notifies its admin.
- Each row is marked in its own short UPDATE; nothing is held open during HTTP.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from core.notifications import notification_send, user_language

from .chat import chat_answer_error, chat_request
from .models import Delivery, Endpoint, Kind
from .security import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, secret_decrypt, signature, url_check_target
from .services import CLAIM_LEASE, DELIVERY_BATCH, admins_to_notify

logger = logging.getLogger(__name__)
EXCERPT = 512


def backoff(attempts: int) -> timedelta:
    base = settings.HOURGLASS_WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _due(now: datetime) -> Q:
    return Q(endpoint__active=True) & (
        Q(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    )


def deliveries_claim(*, limit: int = DELIVERY_BATCH) -> list[Delivery]:
    """Claim up to ``limit`` due rows for this caller (two queries plus the read)."""
    now = timezone.now()
    token = uuid.uuid4()
    candidates = list(
        Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return []
    Delivery.objects.filter(_due(now), pk__in=candidates).update(
        status=Delivery.Status.SENDING, claimed_at=now, claim_token=token
    )
    return list(
        Delivery.objects.filter(claim_token=token, status=Delivery.Status.SENDING)
        .select_related("endpoint")
        .order_by("pk")
    )


@dataclass
class Outcome:
    delivered: bool
    retry: bool
    code: int | None = None
    excerpt: str = ""
    error: str = ""
    retry_after: float = 0.0


def _read_limited(response: requests.Response) -> bytes:
    limit, chunks, size = settings.HOURGLASS_WEBHOOK_RESPONSE_LIMIT, [], 0
    for chunk in response.iter_content(4096):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _request(delivery: Delivery, secret: str) -> tuple[str, bytes, dict[str, str]]:
    endpoint, now = delivery.endpoint, time.time()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Hourglass-Webhooks/1",
        DELIVERY_HEADER: str(delivery.delivery_id),
        EVENT_HEADER: delivery.event_type,
    }
    if endpoint.kind != Kind.WEBHOOK:
        url, body = chat_request(kind=endpoint.kind, url=endpoint.url, payload=delivery.payload, secret=secret, now=now)
        return url, body, headers
    body = json.dumps({**delivery.payload, "delivery_id": str(delivery.delivery_id)}, ensure_ascii=False).encode()
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret=secret, timestamp=int(now), body=body)
    return endpoint.url, body, headers


def _post(session: requests.Session, delivery: Delivery) -> Outcome:
    endpoint = delivery.endpoint
    try:
        url_check_target(endpoint.url)
    except ValidationError as exc:
        return Outcome(delivered=False, retry=False, error=" ".join(exc.messages)[:500])
    url, body, headers = _request(delivery, secret_decrypt(endpoint.secret_encrypted))
    timeout = settings.HOURGLASS_WEBHOOK_TIMEOUT_SECONDS
    try:
        with session.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            content = _read_limited(response)
    except requests.Timeout:
        return Outcome(delivered=False, retry=True, error="timeout")
    except requests.RequestException as exc:
        return Outcome(delivered=False, retry=True, error=f"{type(exc).__name__}: {exc}"[:500])
    code, excerpt = response.status_code, content[:EXCERPT].decode("utf-8", errors="replace")
    if 200 <= code < 300:
        error = chat_answer_error(endpoint.kind, content) if endpoint.is_chat else ""
        return Outcome(delivered=not error, retry=False, code=code, excerpt=excerpt, error=error)
    retry_after = 0.0
    if code == 429:
        try:
            retry_after = float(response.headers.get("Retry-After", "0"))
        except ValueError:
            retry_after = 0.0
    return Outcome(
        delivered=False, retry=code >= 500 or code == 429, code=code, excerpt=excerpt, retry_after=retry_after
    )


def _record_success(delivery: Delivery, outcome: Outcome, now: datetime) -> None:
    Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        status=Delivery.Status.DELIVERED,
        attempts=F("attempts") + 1,
        delivered_at=now,
        last_attempt_at=now,
        response_code=outcome.code,
        response_excerpt=outcome.excerpt,
        last_error="",
        claim_token=None,
    )
    endpoint = delivery.endpoint
    if endpoint.consecutive_failures or endpoint.failing_since or endpoint.breaker_open_until:
        Endpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=0, failing_since=None, breaker_open_until=None
        )
        endpoint.consecutive_failures, endpoint.failing_since, endpoint.breaker_open_until = 0, None, None


def _record_failure(delivery: Delivery, outcome: Outcome, now: datetime) -> None:
    attempts = delivery.attempts + 1
    final = not outcome.retry or attempts >= settings.HOURGLASS_WEBHOOK_MAX_ATTEMPTS
    retry_at = now + max(backoff(attempts), timedelta(seconds=min(outcome.retry_after, 6 * 3600)))
    breaker_open_until = _endpoint_failed(delivery.endpoint, now)
    if breaker_open_until is not None:
        retry_at = max(retry_at, breaker_open_until)
    Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        status=Delivery.Status.FAILED if final else Delivery.Status.QUEUED,
        attempts=attempts,
        next_attempt_at=None if final else retry_at,
        last_attempt_at=now,
        claimed_at=None,
        claim_token=None,
        response_code=outcome.code,
        response_excerpt=outcome.excerpt,
        last_error=outcome.error or (f"HTTP {outcome.code}" if outcome.code else ""),
    )


def _endpoint_failed(endpoint: Endpoint, now: datetime) -> datetime | None:
    """Count the failure; returns until when the breaker is open (None: closed)."""
    Endpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, failing_since=Coalesce("failing_since", now)
    )
    fresh = Endpoint.objects.only("consecutive_failures", "failing_since", "active").get(pk=endpoint.pk)
    endpoint.consecutive_failures, endpoint.failing_since = fresh.consecutive_failures, fresh.failing_since
    threshold = settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD
    if endpoint.consecutive_failures >= threshold:
        opened = timedelta(seconds=min(60 * 2 ** (endpoint.consecutive_failures - threshold), 3600))
        endpoint.breaker_open_until = now + opened
        Endpoint.objects.filter(pk=endpoint.pk).update(breaker_open_until=endpoint.breaker_open_until)
    limit = timedelta(hours=settings.HOURGLASS_WEBHOOK_DISABLE_AFTER_HOURS)
    if endpoint.failing_since and now - endpoint.failing_since >= limit:
        endpoint_disable_failing(endpoint=endpoint)
    return endpoint.breaker_open_until if endpoint.consecutive_failures >= threshold else None


def endpoint_disable_failing(*, endpoint: Endpoint) -> bool:
    """Turn off an endpoint that kept failing, once, and tell its admin (in-app and email)."""
    with transaction.atomic():
        if not Endpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, disabled_reason="failing for 24 hours"
        ):
            return False
        endpoint.active = False
        for admin in admins_to_notify(endpoint):
            with translation.override(user_language(admin)):
                from django.utils.translation import gettext as _

                notification_send(
                    recipient=admin,
                    kind="webhook_disabled",
                    title=_("Endpoint %(name)s was disabled: it kept failing") % {"name": endpoint.name},
                    body=_("Deliveries wait until you turn it on again."),
                    url=f"/integrations/webhooks/{endpoint.pk}/",
                    dedupe_key=f"webhook_disabled:{endpoint.pk}:{endpoint.failing_since:%Y%m%d%H%M%S}",
                    email=True,
                )
    logger.warning("webhook endpoint %s disabled after failing since %s", endpoint.pk, endpoint.failing_since)
    return True


def _defer(delivery: Delivery, until: datetime) -> None:
    """The breaker is open: back in the queue, no attempt spent."""
    Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        status=Delivery.Status.QUEUED, next_attempt_at=until, claimed_at=None, claim_token=None
    )


def deliveries_send(rows: list[Delivery]) -> int:
    """POST claimed rows (one keep-alive session); returns how many were delivered."""
    delivered = 0
    endpoints: dict[int, Endpoint] = {}
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the environment: the SSRF guard checks the real target
        for delivery in rows:
            delivery.endpoint = endpoints.setdefault(delivery.endpoint_id, delivery.endpoint)
            endpoint, now = delivery.endpoint, timezone.now()
            if not endpoint.active:
                _defer(delivery, now)
                continue
            if endpoint.breaker_open_until and endpoint.breaker_open_until > now:
                _defer(delivery, endpoint.breaker_open_until)
                continue
            outcome = _post(session, delivery)
            if outcome.delivered:
                _record_success(delivery, outcome, timezone.now())
                delivered += 1
            else:
                _record_failure(delivery, outcome, timezone.now())
    return delivered


def deliver_due(*, budget_seconds: float = 50.0) -> tuple[int, bool]:
    """Claim and send batches until none is due or the budget is spent.

    Returns (delivered, more) — ``more`` when due rows may remain (the task re-queues)."""
    started, delivered = time.monotonic(), 0
    while time.monotonic() - started < budget_seconds:
        rows = deliveries_claim()
        if not rows:
            return delivered, False
        delivered += deliveries_send(rows)
    return delivered, True


def due_count() -> int:
    return Delivery.objects.filter(_due(timezone.now())).count()
