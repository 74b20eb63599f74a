"""Writes: endpoints and chat targets, recording events into the outbox, redelivery."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .events import EVENT_TYPES, Event
from .models import Delivery, Endpoint, Kind
from .security import secret_encrypt, url_check_target

# Rows a delivery task claims at once; enough tasks are queued to cover a batch.
DELIVERY_BATCH = 200
MAX_TASKS_PER_BATCH = 8
# A claimed row whose worker died is claimable again after this long (> the HTTP timeout).
CLAIM_LEASE = timedelta(minutes=2)


def _schedule_delivery(rows: int) -> None:
    if rows <= 0:
        return
    from .tasks import deliver_due_task

    tasks = min(MAX_TASKS_PER_BATCH, -(-rows // DELIVERY_BATCH))

    def send() -> None:
        for _ in range(tasks):
            deliver_due_task.delay()

    transaction.on_commit(send)


@transaction.atomic
def endpoint_create(
    *,
    name: str,
    url: str,
    actor: Any,
    kind: str = Kind.WEBHOOK,
    event_types: Sequence[str] = (),
    notification_kinds: Sequence[str] = (),
    owner: Any = None,
    team: Any = None,
    secret: str | None = None,
) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it and its signing secret, shown to the admin once.

    Webhooks get a generated secret; chat robots keep the one their platform issued
    (DingTalk/Feishu "signing secret"), or none.
    """
    url_check_target(url)
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    if kind == Kind.WEBHOOK and not secret:
        secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = Endpoint.objects.create(
        kind=kind,
        name=name,
        url=url,
        secret_encrypted=secret_encrypt(secret or ""),
        event_types=sorted(set(event_types)),
        notification_kinds=sorted(set(notification_kinds)),
        owner=owner,
        team=team,
        created_by=actor,
    )
    return endpoint, secret or ""


@transaction.atomic
def endpoint_update(
    *,
    endpoint: Endpoint,
    name: str,
    url: str,
    active: bool,
    event_types: Sequence[str] = (),
    notification_kinds: Sequence[str] = (),
) -> Endpoint:
    """Edit an endpoint. Turning it on again closes its breaker and forgets old failures."""
    url_check_target(url)
    endpoint.name, endpoint.url = name, url
    endpoint.event_types = sorted(set(event_types))
    endpoint.notification_kinds = sorted(set(notification_kinds))
    if active and not endpoint.active:
        endpoint.consecutive_failures, endpoint.breaker_open_until = 0, None
        endpoint.failing_since, endpoint.disabled_reason = None, ""
        waiting = endpoint.deliveries.filter(status=Delivery.Status.QUEUED).count()
        _schedule_delivery(waiting)
    endpoint.active = active
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint) -> None:
    """Remove an endpoint with its delivery log (nothing more is sent to it)."""
    endpoint.delete()


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    Endpoint.objects.filter(pk=endpoint.pk).update(secret_encrypted=secret_encrypt(secret))
    return secret


def _insert(rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert delivery rows, skipping dedupe keys already queued: one prepared statement
    run for every row (``executemany``; on PostgreSQL one statement for all), the payload
    encoded once per event. The ORM's
    ``bulk_create`` spent most of its time preparing sixteen values a row."""
    meta = Delivery._meta
    columns = ["delivery_id", "endpoint_id", "dedupe_key", "event_type", "payload", "status", "attempts",
               "next_attempt_at", "created_at", "response_excerpt", "last_error"]  # fmt: skip
    quote = connection.ops.quote_name
    # Only identifiers of our own model and placeholders are formatted in: values are bound.
    names, marks = ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
    if connection.vendor == "postgresql":
        _insert_postgresql(columns, list(rows))
        return
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks}) ON CONFLICT (dedupe_key) DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def _insert_postgresql(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """``_insert`` on PostgreSQL: every row in one bound JSON document, one statement. A
    batch's executemany waited on the server once a row (a CRM sync queues thousands)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = {field.column: field for field in Delivery._meta.concrete_fields}
    types = {column: str(fields[column].db_type(connection)) for column in columns}
    # Text in the document: the payload is already encoded, strings keep their length check.
    as_text = {c for c in columns if types[c].startswith(("varchar", "jsonb"))}
    record = ", ".join(f"{quote(c)} {'text' if c in as_text else types[c]}" for c in columns)
    values = ", ".join(f"CAST({quote(c)} AS jsonb)" if types[c] == "jsonb" else quote(c) for c in columns)
    names = ", ".join(quote(c) for c in columns)
    sql = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} ({names}) "  # noqa: S608 - our identifiers; values are bound
        f"SELECT {values} FROM json_to_recordset(%s::json) AS r({record}) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    for start in range(0, len(rows), 5000):
        document = json.dumps([dict(zip(columns, row, strict=True)) for row in rows[start : start + 5000]],
                              default=str, ensure_ascii=False)  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(sql, [document])


@transaction.atomic
def events_record(events: Sequence[Event]) -> int:
    """Queue ``events`` to every active webhook endpoint subscribed to their type.

    Set-based: one read of the endpoints, one batched insert that skips existing dedupe
    keys (an event recorded twice is queued once), a few tasks after commit.
    Returns the number of delivery rows offered.
    """
    if not events:
        return 0
    types = {event.type for event in events}
    endpoints = list(Endpoint.objects.filter(kind=Kind.WEBHOOK, active=True).only("pk", "event_types"))
    by_type = {kind: [ep.pk for ep in endpoints if kind in ep.event_types] for kind in types}
    postgres = connection.vendor == "postgresql"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    queued = Delivery.Status.QUEUED.value
    rows: list[tuple[Any, ...]] = []
    for event in events:
        targets = by_type[event.type]
        if not targets:
            continue
        payload = json.dumps(event.envelope(), cls=DjangoJSONEncoder, ensure_ascii=False)
        for endpoint_id in targets:
            delivery_id = uuid.uuid4()
            key = f"{event.key}:{endpoint_id}"[:200]
            uid = delivery_id if postgres else delivery_id.hex
            rows.append((uid, endpoint_id, key, event.type, payload, queued, 0, now, now, "", ""))
    _insert(rows)
    _schedule_delivery(len(rows))
    return len(rows)


def event_record(event: Event) -> int:
    return events_record([event])


@transaction.atomic
def chat_messages_record(messages: Sequence[tuple[Endpoint, str, dict[str, Any]]]) -> int:
    """Queue rendered chat messages: ``(target, dedupe key, payload)``; each key once."""
    now = timezone.now()
    rows = [
        Delivery(
            endpoint=target,
            dedupe_key=key[:200],
            event_type="notification",
            payload=payload,
            next_attempt_at=now,
        )
        for target, key, payload in messages
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    _schedule_delivery(len(rows))
    return len(rows)


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> bool:
    """Send a delivery again, with the same delivery id (receivers may drop a copy they
    already handled). Not while it is being sent; True when it was queued."""
    queued = (
        Delivery.objects.filter(pk=delivery.pk)
        .filter(~Q(status=Delivery.Status.SENDING) | Q(claimed_at__lt=timezone.now() - CLAIM_LEASE))
        .update(status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claim_token=None)
    )
    if queued:
        _schedule_delivery(1)
    return bool(queued)


def admins_to_notify(endpoint: Endpoint) -> list[Any]:
    """Who hears that an endpoint was disabled: its creator, else every active admin."""
    from django.contrib.auth import get_user_model

    from org.models import Role

    if endpoint.created_by_id and endpoint.created_by and endpoint.created_by.is_active:
        return [endpoint.created_by]
    users = get_user_model().objects.filter(is_active=True)
    return list(users.filter(Q(is_superuser=True) | Q(cs_profile__role=Role.ADMIN)).select_related("cs_profile"))
