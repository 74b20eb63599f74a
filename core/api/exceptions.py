"""API errors are JSON and name the field: DRF does the fields; this covers the rest."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


def database_unavailable_response() -> Response:
    """503 + Retry-After: the database could not be reached (restart, failover, lost
    connection). A write's transaction was rolled back with it, so the client resends."""
    return Response(
        {"detail": _("The database is unavailable right now; retry later.")},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(settings.HOURGLASS_DB_RETRY_AFTER)},
    )


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, OperationalError | InterfaceError):
        # Django closes a connection that failed (atomic() on a failed rollback, the
        # request-finished health check), so the next request reconnects by itself.
        logger.warning("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        return database_unavailable_response()
    # Services raise Django's ValidationError (they do not know about DRF); turn it
    # into the same 400 {field: [messages]} a serializer would give.
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = ValidationError(detail=detail)
    return exception_handler(exc, context)
