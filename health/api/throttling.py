from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class EventIngestThrottle(SimpleRateThrottle):
    """``settings.HOURGLASS_INGEST_RATE`` requests per API token (per user for a browser
    session). Over the rate the API answers 429 with ``Retry-After`` in seconds.

    The rate is read per request, not at import, so it can be changed by settings.
    """

    scope = "events_ingest"

    def get_rate(self) -> str | None:
        return str(settings.HOURGLASS_INGEST_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # authentication fails first anyway
        token = getattr(request.auth, "key", None)
        ident = f"token:{token}" if token else f"user:{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
