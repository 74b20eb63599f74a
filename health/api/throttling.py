"""Rate limits of ``POST /api/v1/events/bulk``, per API token (per user for a session).

The limit that matters is events, not requests: a request carries 1 to 10,000 events,
so a request count either starves the big batches senders should use or lets a
flood of them through. ``EventIngestThrottle`` counts events per minute; the older
request count (``HOURGLASS_INGEST_RATE``) still applies when an operator sets it.
Both read their setting per request, so it can be changed by settings.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

_WINDOW = 60  # seconds: the limit is per calendar minute of the server clock


def _ident(request: Request) -> str | None:
    if not request.user or not request.user.is_authenticated:
        return None  # authentication fails first anyway
    token = getattr(request.auth, "key", None)
    return f"token:{token}" if token else f"user:{request.user.pk}"


class EventIngestThrottle(BaseThrottle):
    """At most ``settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE`` events per token and minute;
    over it the answer is 429 with ``Retry-After`` (the seconds left in the minute).

    A fixed window counted with the cache's atomic ``incr`` (Redis in production): two
    cache calls a request, and gunicorn workers or servers sharing the cache never both
    spend the last of a budget. A refused batch gives its events back. A batch larger
    than the whole budget is let through alone (on an empty minute), so no limit ever
    blocks a sender for good.
    """

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        limit = int(settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE)
        ident = _ident(request)
        if limit <= 0 or ident is None:
            return True
        data = request.data  # parses the body: a bad one is answered 400 / 413 as before
        events = len(data) if isinstance(data, list) else 0
        if events == 0 or events > settings.HOURGLASS_INGEST_MAX_EVENTS:
            return True  # nothing to count, or the view answers 413
        now = time.time()
        window = int(now // _WINDOW)
        key = f"throttle_events_ingest:{ident}:{window}"
        cache.add(key, 0, timeout=_WINDOW * 2)
        try:
            used = cache.incr(key, events)
        except ValueError:  # the key expired between add and incr
            cache.add(key, events, timeout=_WINDOW * 2)
            used = events
        if used <= limit or used == events:
            return True
        cache.decr(key, events)
        self._wait = (window + 1) * _WINDOW - now
        return False

    def wait(self) -> float | None:
        return self._wait


class IngestRequestThrottle(SimpleRateThrottle):
    """Deprecated request count: ``settings.HOURGLASS_INGEST_RATE`` ("120/min") requests
    per token when set; unset (the default), requests are not counted."""

    scope = "events_ingest"

    def get_rate(self) -> str | None:
        return str(settings.HOURGLASS_INGEST_RATE or "") or None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ident = _ident(request)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}
