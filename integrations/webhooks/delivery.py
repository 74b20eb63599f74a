"""Delivering the outbox: claim a batch atomically, POST its rows concurrently, record set-based.

- A claim is one UPDATE of up to ``DELIVERY_BATCH`` due rows to "sending" under a fresh
  token (on PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so concurrent
  workers take disjoint batches); only the worker holding the token sends them. A worker
  killed mid-batch leaves its rows "sending"; once the lease expires the sweep claims them
  again — the receiver may get a row twice, always with the same ``Hourglass-Delivery``
  id (at least once, idempotent by id). Rows not started within half the lease go back to
  the queue, so a slow receiver never lets a live claim expire.
- Sending: each endpoint's host is resolved and checked once per batch and every request
  goes to that address (``transport``: pinned, keep-alive). Per endpoint the requests in
  flight start at one and double with each success up to ``HOURGLASS_WEBHOOK_CONCURRENCY``
  (threads of this process, HTTP only: no database work off the main thread); a failure
  drops it back to one, so a failing endpoint is probed one request at a time.
- Retried with exponential backoff on connection errors, timeouts, 5xx, 429 and an
  unresolvable host; any other answer outside 2xx fails the row at once (no redirects).
- Per endpoint: ``BREAKER_THRESHOLD`` consecutive failures open the breaker (rows wait,
  without spending attempts, until it half-opens: one probe decides); failing for
  ``DISABLE_AFTER_HOURS`` disables the endpoint and notifies its admin.
- Results are written set-based while the batch runs and at its end (``recording``);
  nothing is held open during HTTP.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .chat import chat_answer_error, chat_request
from .models import Delivery, Endpoint, Kind
from .recording import FLUSH_SECONDS, Outcome, Recorder, backoff, breaker_period, endpoint_disable_failing
from .security import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, secret_decrypt, signature, url_resolve_checked
from .services import CLAIM_LEASE, DELIVERY_BATCH
from .transport import TRANSPORT_ERRORS, Target, Transport, error_text, process_transport, target_for

__all__ = ["backoff", "deliver_due", "deliveries_claim", "deliveries_send", "due_count", "endpoint_disable_failing"]

logger = logging.getLogger(__name__)
EXCERPT = 512
# What sending and recording read of a claimed row (recording keeps the rest in SQL).
_ENDPOINT: Any = Delivery._meta.get_field("endpoint")
CLAIMED_FIELDS = ("delivery_id", "endpoint_id", "event_type", "payload", "attempts", "claimed_at", "claim_token")


def _due(now: datetime) -> Q:
    return Q(endpoint__active=True) & (
        Q(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    )


def deliveries_claim(*, limit: int = DELIVERY_BATCH) -> list[Delivery]:
    """Claim up to ``limit`` due rows for this caller: one UPDATE, then two reads."""
    now, token = timezone.now(), uuid.uuid4()
    due = Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    with transaction.atomic():
        claimed = Delivery.objects.filter(pk__in=due.values("pk")[:limit]).update(
            status=Delivery.Status.SENDING, claimed_at=now, claim_token=token
        )
    if not claimed:
        return []
    rows = list(Delivery.objects.filter(claim_token=token).only(*CLAIMED_FIELDS).order_by("pk"))
    endpoints = Endpoint.objects.in_bulk({row.endpoint_id for row in rows})
    for row in rows:
        _ENDPOINT.set_cached_value(row, endpoints[row.endpoint_id])  # one object per endpoint, as select_related would
    return rows


@dataclass
class _Job:
    target: Target
    body: bytes
    headers: dict[str, str]
    kind: str


def _job(delivery: Delivery, secret: str, address: str) -> _Job:
    endpoint, now = delivery.endpoint, time.time()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Hourglass-Webhooks/1",
        DELIVERY_HEADER: str(delivery.delivery_id),
        EVENT_HEADER: delivery.event_type,
    }
    if endpoint.kind != Kind.WEBHOOK:
        url, body = chat_request(kind=endpoint.kind, url=endpoint.url, payload=delivery.payload, secret=secret, now=now)
        return _Job(target_for(url, address), body, headers, endpoint.kind)
    body = json.dumps({**delivery.payload, "delivery_id": str(delivery.delivery_id)}, ensure_ascii=False).encode()
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret=secret, timestamp=int(now), body=body)
    return _Job(target_for(endpoint.url, address), body, headers, endpoint.kind)


def _attempt(transport: Transport, job: _Job, timeout: float, limit: int) -> Outcome:
    """One POST (runs in a sending thread: HTTP only, no database)."""
    try:
        answer = transport.post(job.target, job.body, job.headers, timeout=timeout, limit=limit)
    except TRANSPORT_ERRORS as exc:
        return Outcome(delivered=False, retry=True, error=error_text(exc))
    except Exception as exc:  # a bug must not strand the batch: log it, retry the row
        logger.exception("webhook delivery attempt failed unexpectedly")
        return Outcome(delivered=False, retry=True, error=type(exc).__name__)
    code, excerpt = answer.status, answer.content[:EXCERPT].decode("utf-8", errors="replace")
    if 200 <= code < 300:
        error = chat_answer_error(job.kind, answer.content) if job.kind != Kind.WEBHOOK else ""
        return Outcome(delivered=not error, retry=False, code=code, excerpt=excerpt, error=error)
    retry_after = 0.0
    if code == 429:
        try:
            retry_after = float(answer.retry_after or "0")
        except ValueError:
            retry_after = 0.0
    return Outcome(
        delivered=False, retry=code >= 500 or code == 429, code=code, excerpt=excerpt, retry_after=retry_after
    )


@dataclass
class _Lane:
    """One endpoint's rows of the batch, its window of requests in flight and its breaker."""

    endpoint: Endpoint
    rows: deque[Delivery] = field(default_factory=deque)
    window: int = 1
    in_flight: int = 0
    failures: int = 0
    secret: str | None = None
    address: str | Outcome | None = None

    def hold_until(self, now: datetime, deadline: datetime) -> datetime | None:
        """When a row must go back to the queue unsent instead (None: send it)."""
        if not self.endpoint.active or now >= deadline:
            return now
        if self.endpoint.breaker_open_until and self.endpoint.breaker_open_until > now:
            return self.endpoint.breaker_open_until
        return None

    def resolved(self) -> str | Outcome:
        """The checked address of the endpoint's host, once per batch, or why not."""
        if self.address is None:
            try:
                self.address = url_resolve_checked(self.endpoint.url)
            except ValidationError as exc:
                # A host that does not resolve may again; a refused address stays refused.
                self.address = Outcome(delivered=False, retry=exc.code == "dns", error=" ".join(exc.messages)[:500])
        return self.address

    def observe(self, outcome: Outcome, now: datetime, most: int) -> None:
        if outcome.delivered:
            self.failures, self.window = 0, min(self.window * 2, most)
            return
        self.failures, self.window = self.failures + 1, 1
        if self.failures >= settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD:
            self.endpoint.breaker_open_until = now + breaker_period(self.failures)


def _lanes(rows: list[Delivery]) -> list[_Lane]:
    lanes: dict[int, _Lane] = {}
    for delivery in rows:
        lane = lanes.get(delivery.endpoint_id)
        if lane is None:
            lane = lanes[delivery.endpoint_id] = _Lane(
                delivery.endpoint, failures=delivery.endpoint.consecutive_failures
            )
        elif delivery.endpoint is not lane.endpoint:  # the lane's breaker state is shared
            _ENDPOINT.set_cached_value(delivery, lane.endpoint)
        lane.rows.append(delivery)
    return list(lanes.values())


def deliveries_send(rows: list[Delivery], *, flush_seconds: float = FLUSH_SECONDS) -> int:
    """POST one claim's rows (concurrently per endpoint, see the module); returns how many
    were delivered. Rows of one endpoint share one ``Endpoint`` object (the lane's
    breaker state), as ``deliveries_claim`` returns them."""
    if not rows:
        return 0
    transport, executor = process_transport()
    most, timeout = transport.concurrency, settings.HOURGLASS_WEBHOOK_TIMEOUT_SECONDS
    limit = settings.HOURGLASS_WEBHOOK_RESPONSE_LIMIT
    recorder = Recorder(token=rows[0].claim_token or uuid.uuid4(), every=flush_seconds)
    deadline = min(d.claimed_at or timezone.now() for d in rows) + CLAIM_LEASE / 2
    lanes = _lanes(rows)
    pending: dict[Future[Outcome], tuple[_Lane, Delivery]] = {}
    while True:
        now = timezone.now()
        for lane in lanes:
            while lane.rows and lane.in_flight < lane.window and len(pending) < most:
                delivery = lane.rows.popleft()
                if (until := lane.hold_until(now, deadline)) is not None:
                    recorder.defer(delivery, until)
                    continue
                address = lane.resolved()
                if isinstance(address, Outcome):
                    lane.observe(address, now, most)
                    recorder.attempted(delivery, address, now)
                    continue
                if lane.secret is None:
                    lane.secret = secret_decrypt(lane.endpoint.secret_encrypted)
                job = _job(delivery, lane.secret, address)
                pending[executor.submit(_attempt, transport, job, timeout, limit)] = (lane, delivery)
                lane.in_flight += 1
        if not pending:
            break
        done, _running = wait(pending, timeout=flush_seconds, return_when=FIRST_COMPLETED)
        for future in done:
            lane, delivery = pending.pop(future)
            lane.in_flight -= 1
            outcome, at = future.result(), timezone.now()
            lane.observe(outcome, at, most)
            recorder.attempted(delivery, outcome, at)
        if recorder.due():
            recorder.flush()
    recorder.flush()
    return recorder.delivered


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
