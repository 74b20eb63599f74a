"""Reachability checks behind /healthz."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from config.celery_app import app as celery_app

from .models import WorkerHeartbeat


def check_database() -> str | None:
    """``None`` when the database answers, else the error."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; report it
        return f"{type(exc).__name__}: {exc}"
    return None


def check_broker(timeout: float = 2.0) -> str | None:
    """``None`` when the Celery broker accepts a connection, else the error."""
    try:
        # Read the URL at call time (not the app's cached config) so that a changed
        # setting, e.g. in a test pointing at a dead broker, is what gets checked.
        with celery_app.connection_for_write(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=timeout,
        ) as conn:
            conn.ensure_connection(max_retries=1)
            # kombu's filesystem transport "connects" without touching the folder;
            # opening a channel does, for every transport.
            conn.default_channel  # type: ignore[attr-defined]  # noqa: B018
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def last_worker_heartbeat() -> str | None:
    heartbeat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    return heartbeat.last_seen.isoformat() if heartbeat else None
