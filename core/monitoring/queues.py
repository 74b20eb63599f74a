"""Reads of core's own operational state: outbox backlog, Celery queues, workers, failures.

Shared by the Prometheus collector and the status page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from ..models import OutboundEmail, TaskFailure, WorkerHeartbeat

logger = logging.getLogger(__name__)

# Enough to tell kinds apart; a backlog larger than this is reported by its total.
_BACKLOG_SCAN_LIMIT = 20_000
_PENDING = (OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING)


def email_kind(dedupe_key: str, render_with: str = "") -> str:
    """The kind of an outbox message: its renderer, else its dedupe key's prefix."""
    if render_with:
        return render_with
    prefix, sep, _rest = dedupe_key.partition(":")
    return prefix if sep else "other"


@dataclass(frozen=True)
class OutboxKind:
    kind: str
    pending: int
    oldest_at: datetime | None

    @property
    def oldest_age(self) -> timedelta | None:
        return None if self.oldest_at is None else timezone.now() - self.oldest_at


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    failed: int
    sent: int
    oldest_at: datetime | None
    by_kind: list[OutboxKind]

    @property
    def oldest_age(self) -> timedelta | None:
        return None if self.oldest_at is None else timezone.now() - self.oldest_at


def outbox_summary() -> OutboxSummary:
    totals = OutboundEmail.objects.aggregate(
        pending=Count("pk", filter=Q(status__in=_PENDING)),
        failed=Count("pk", filter=Q(status=OutboundEmail.Status.FAILED)),
        sent=Count("pk", filter=Q(status=OutboundEmail.Status.SENT)),
        oldest=Min("created_at", filter=Q(status__in=_PENDING)),
    )
    oldest: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    rows = (
        OutboundEmail.objects.filter(status__in=_PENDING)
        .order_by("created_at")
        .values_list("dedupe_key", "render_with", "created_at")[:_BACKLOG_SCAN_LIMIT]
    )
    for dedupe_key, render_with, created_at in rows:
        kind = email_kind(dedupe_key, render_with)
        oldest.setdefault(kind, created_at)  # rows come oldest first
        counts[kind] = counts.get(kind, 0) + 1
    by_kind = [OutboxKind(kind=kind, pending=counts[kind], oldest_at=oldest[kind]) for kind in sorted(counts)]
    return OutboxSummary(
        pending=totals["pending"],
        failed=totals["failed"],
        sent=totals["sent"],
        oldest_at=totals["oldest"],
        by_kind=by_kind,
    )


def failed_emails(*, limit: int = 20) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).only(
            "pk", "subject", "to", "attempts", "last_error", "created_at", "dedupe_key", "render_with"
        )[:limit]
    )


def recent_task_failures(*, limit: int = 20) -> list[TaskFailure]:
    return list(TaskFailure.objects.defer("traceback")[:limit])


def task_failures_since(moment: datetime) -> int:
    return TaskFailure.objects.filter(failed_at__gte=moment).count()


def worker_heartbeats() -> list[WorkerHeartbeat]:
    return list(WorkerHeartbeat.objects.all())


def queue_names() -> list[str]:
    """The default queue and every queue named by a task route."""
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    if isinstance(routes, dict):
        names |= {str(route["queue"]) for route in routes.values() if isinstance(route, dict) and "queue" in route}
    return sorted(names)


def queue_depths(*, timeout: float = 2.0) -> dict[str, int | None]:
    """Messages waiting per Celery queue (None for a queue the broker could not tell)."""
    from config.celery_app import app as celery_app

    depths: dict[str, int | None] = {}
    try:
        with celery_app.connection_for_read(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=timeout,
        ) as conn:
            conn.ensure_connection(max_retries=1)
            for name in queue_names():
                depths[name] = _queue_size(conn, name)
    except Exception:  # noqa: BLE001 - the broker is down: the status page and /healthz say so
        logger.warning("could not read the Celery queue depths", exc_info=True)
        return dict.fromkeys(queue_names())
    return depths


def _queue_size(conn: object, name: str) -> int | None:
    channel = conn.channel()  # type: ignore[attr-defined]
    try:
        # kombu's virtual transports (Redis, filesystem) count the messages of a queue;
        # a queue that never held a message does not exist yet: zero waiting.
        size = getattr(channel, "_size", None)
        if size is not None:
            return int(size(name))
        return int(channel.queue_declare(queue=name, passive=True).message_count)
    except Exception:  # noqa: BLE001 - one queue unknown, the others still count
        logger.info("queue %s: depth unknown", name, exc_info=True)
        return None
    finally:
        channel.close()
