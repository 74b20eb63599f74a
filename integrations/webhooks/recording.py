"""Recording what became of a claimed batch: set-based, a few statements per flush.

A flush writes every finished row of the batch in one ``UPDATE … FROM (VALUES …)``
(PostgreSQL and SQLite ≥ 3.33), guarded by the claim token (a row whose lease ran out and
that another worker claimed is left to that worker), plus one or two statements per
endpoint whose failure count moved (breaker, 24 h disable). Not ``bulk_update``: its
CASE per row and field costs far more per batch (``bench/claims_record.py``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import translation

from core.messages import message
from core.notifications import notification_send, user_language

from .models import Delivery, Endpoint
from .services import admins_to_notify

logger = logging.getLogger(__name__)
# Finished rows are written at least this often while a batch is still sending.
FLUSH_SECONDS = 1.0


@dataclass
class Outcome:
    delivered: bool
    retry: bool
    code: int | None = None
    excerpt: str = ""
    error: str = ""
    retry_after: float = 0.0


def backoff(attempts: int) -> timedelta:
    base = settings.HOURGLASS_WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def breaker_period(consecutive_failures: int) -> timedelta:
    """How long the breaker stays open: 1 min at the threshold, doubling, at most 1 h."""
    over = max(consecutive_failures - settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD, 0)
    return timedelta(seconds=min(60 * 2 ** min(over, 16), 3600))


@dataclass
class Recorder:
    """Collects one claim's finished rows (attempted or put back) and writes them."""

    token: uuid.UUID
    every: float = FLUSH_SECONDS
    attempts: list[tuple[Delivery, Outcome, datetime]] = field(default_factory=list)
    deferred: list[tuple[Delivery, datetime]] = field(default_factory=list)
    delivered: int = 0
    flushed_at: float = field(default_factory=time.monotonic)

    def attempted(self, delivery: Delivery, outcome: Outcome, at: datetime) -> None:
        self.attempts.append((delivery, outcome, at))

    def defer(self, delivery: Delivery, until: datetime) -> None:
        """Back in the queue without an attempt spent (breaker open, endpoint off, lease short)."""
        self.deferred.append((delivery, until))

    def due(self) -> bool:
        return bool(self.attempts or self.deferred) and time.monotonic() - self.flushed_at >= self.every

    def flush(self) -> None:
        attempts, deferred = self.attempts, self.deferred
        self.attempts, self.deferred, self.flushed_at = [], [], time.monotonic()
        if not attempts and not deferred:
            return
        with transaction.atomic():
            breakers, failing = _endpoints_record(attempts)
            rows = [_attempt_row(d, o, at, breakers.get(d.endpoint_id)) for d, o, at in attempts]
            rows += [_deferred_row(d, until) for d, until in deferred]
            deliveries_record(token=self.token, rows=rows)
        self.delivered += sum(1 for _d, outcome, _at in attempts if outcome.delivered)
        for endpoint in failing:
            endpoint_disable_failing(endpoint=endpoint)


# (pk, status, attempts, next_attempt_at, last_attempt_at, delivered_at, response_code,
#  response_excerpt, last_error); last_attempt_at NULL: no attempt, the last answer stays.
Row = tuple[int, str, int, datetime | None, datetime | None, datetime | None, int | None, str, str]


def _attempt_row(delivery: Delivery, outcome: Outcome, at: datetime, breaker: datetime | None) -> Row:
    attempts = delivery.attempts + 1
    if outcome.delivered:
        return (delivery.pk, Delivery.Status.DELIVERED, attempts, None, at, at, outcome.code, outcome.excerpt, "")
    final = not outcome.retry or attempts >= settings.HOURGLASS_WEBHOOK_MAX_ATTEMPTS
    retry_at = at + max(backoff(attempts), timedelta(seconds=min(outcome.retry_after, 6 * 3600)))
    if breaker is not None:
        retry_at = max(retry_at, breaker)
    error = outcome.error or (f"HTTP {outcome.code}" if outcome.code else "")
    status = Delivery.Status.FAILED if final else Delivery.Status.QUEUED
    return (delivery.pk, status, attempts, None if final else retry_at, at, None, outcome.code, outcome.excerpt, error)


def _deferred_row(delivery: Delivery, until: datetime) -> Row:
    return (delivery.pk, Delivery.Status.QUEUED, delivery.attempts, until, None, None, None, "", "")


# The recorded columns after the pk, with their PostgreSQL types.
_COLUMNS = (("status", "varchar"), ("attempts", "smallint"), ("next_attempt_at", "timestamptz"),
            ("last_attempt_at", "timestamptz"), ("delivered_at", "timestamptz"), ("response_code", "smallint"),
            ("response_excerpt", "varchar"), ("last_error", "varchar"))  # fmt: skip


def deliveries_record(*, token: uuid.UUID, rows: list[Row]) -> int:
    """Write ``rows`` of claim ``token`` in one statement; returns how many rows the claim
    still held. Their claim ends (no claim token, no claimed time); a row put back without
    an attempt (no ``last_attempt_at``) keeps its last answer.

    PostgreSQL reads the rows from one array per column (``unnest``: the statement's text
    is the same for every batch, so neither the driver nor the server parses it per
    size); SQLite from ``VALUES``."""
    if not rows:
        return 0
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    names = ", ".join(f"column{n}" for n in range(1, len(_COLUMNS) + 2))
    params: list[Any]
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{sql_type}[]" for sql_type in ("bigint", *(t for _c, t in _COLUMNS)))
        source, params = f"unnest({arrays}) AS v({names})", [list(column) for column in zip(*rows, strict=True)]
    else:
        row_sql = "(" + ", ".join(["%s"] * (len(_COLUMNS) + 1)) + ")"
        source = f"(VALUES {', '.join([row_sql] * len(rows))}) AS v"
        adapt, params = ops.adapt_datetimefield_value, []
        for pk, status, attempts, next_at, attempt_at, delivered_at, code, excerpt, error in rows:
            params += (pk, status, attempts, adapt(next_at), adapt(attempt_at), adapt(delivered_at), code, excerpt,
                       error)  # fmt: skip

    def kept(column: str, n: int) -> str:
        return f"{column} = CASE WHEN v.column5 IS NOT NULL THEN v.column{n} ELSE {table}.{column} END"

    sql = (
        f"UPDATE {table} SET status = v.column2, attempts = v.column3, next_attempt_at = v.column4, "  # noqa: S608 - names and placeholders only
        f"claimed_at = NULL, claim_token = NULL, {kept('last_attempt_at', 5)}, "
        f"delivered_at = COALESCE(v.column6, {table}.delivered_at), {kept('response_code', 7)}, "
        f"{kept('response_excerpt', 8)}, {kept('last_error', 9)} "
        f"FROM {source} WHERE {table}.id = v.column1 AND {table}.claim_token = %s"
    )
    params.append(Delivery._meta.get_field("claim_token").get_db_prep_save(token, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _endpoints_record(
    attempts: list[tuple[Delivery, Outcome, datetime]],
) -> tuple[dict[int, datetime], list[Endpoint]]:
    """Count each endpoint's failures and successes of this flush (in the order they
    finished); returns until when each endpoint's breaker is open, and the endpoints that
    have failed for ``DISABLE_AFTER_HOURS``."""
    by_endpoint: dict[int, list[tuple[Delivery, Outcome, datetime]]] = defaultdict(list)
    for attempt in attempts:
        by_endpoint[attempt[0].endpoint_id].append(attempt)
    breakers: dict[int, datetime] = {}
    failing: list[Endpoint] = []
    for endpoint_id, done in by_endpoint.items():
        endpoint = done[0][0].endpoint
        last_success = max((n for n, (_d, o, _at) in enumerate(done) if o.delivered), default=-1)
        failures = done[last_success + 1 :]
        if not failures:
            if endpoint.consecutive_failures or endpoint.failing_since or endpoint.breaker_open_until:
                Endpoint.objects.filter(pk=endpoint_id).update(
                    consecutive_failures=0, failing_since=None, breaker_open_until=None
                )
                endpoint.consecutive_failures, endpoint.failing_since, endpoint.breaker_open_until = 0, None, None
            continue
        first_failed_at, last_at = failures[0][2], failures[-1][2]
        if last_success >= 0:  # a success in between: the run of failures starts again
            Endpoint.objects.filter(pk=endpoint_id).update(
                consecutive_failures=len(failures), failing_since=first_failed_at
            )
        else:
            Endpoint.objects.filter(pk=endpoint_id).update(
                consecutive_failures=F("consecutive_failures") + len(failures),
                failing_since=Coalesce("failing_since", first_failed_at),
            )
        fresh = Endpoint.objects.only("consecutive_failures", "failing_since").get(pk=endpoint_id)
        endpoint.consecutive_failures, endpoint.failing_since = fresh.consecutive_failures, fresh.failing_since
        if endpoint.consecutive_failures >= settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD:
            endpoint.breaker_open_until = last_at + breaker_period(endpoint.consecutive_failures)
            Endpoint.objects.filter(pk=endpoint_id).update(breaker_open_until=endpoint.breaker_open_until)
            breakers[endpoint_id] = endpoint.breaker_open_until
        limit = timedelta(hours=settings.HOURGLASS_WEBHOOK_DISABLE_AFTER_HOURS)
        if endpoint.active and endpoint.failing_since and last_at - endpoint.failing_since >= limit:
            failing.append(endpoint)
    return breakers, failing


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
                from django.utils.translation import gettext_noop

                notification_send(
                    recipient=admin,
                    kind="webhook_disabled",
                    message=message(
                        gettext_noop("Endpoint %(name)s was disabled: it kept failing"), name=endpoint.name
                    ),
                    body_messages=(message(gettext_noop("Deliveries wait until you turn it on again.")),),
                    url=f"/integrations/webhooks/{endpoint.pk}/",
                    dedupe_key=f"webhook_disabled:{endpoint.pk}:{endpoint.failing_since:%Y%m%d%H%M%S}",
                    email=True,
                )
    logger.warning("webhook endpoint %s disabled after failing since %s", endpoint.pk, endpoint.failing_since)
    return True
