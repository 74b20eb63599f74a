"""Request parsers of the bulk ingest endpoint: JSON array or NDJSON, size-capped."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

from core.api import parsers as json_parsers
from health.validation import Unparsable


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("Too many events or too many bytes in one request.")
    default_code = "payload_too_large"


def too_many_bytes() -> PayloadTooLarge:
    limit = settings.HOURGLASS_INGEST_MAX_BYTES
    return PayloadTooLarge(
        _("The request body is larger than %(mb)s MB; split it into several requests.")
        % {"mb": round(limit / (1024 * 1024), 1)}
    )


def read_capped(stream: IO[bytes] | None) -> bytes:
    """Read the body, but never more than the limit (+1 byte to tell it was exceeded),
    whatever Content-Length claims."""
    if stream is None:
        return b""
    limit = settings.HOURGLASS_INGEST_MAX_BYTES
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise too_many_bytes()
    return body


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(_("The body is not UTF-8.")) from exc


class EventsJSONParser(BaseParser):
    """``application/json``: a JSON array of event objects."""

    media_type = "application/json"

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            # No depth walk over a whole batch: json.loads refusing ~1,000 levels is the 500
            # to avoid, and each event's fields are checked by the ingest validation.
            data = json_parsers.loads(_decode(read_capped(stream)) or "null", check_depth=False)
        except json_parsers.TooDeep as exc:
            raise json_parsers.too_deep_error() from exc
        except ValueError as exc:
            raise ParseError(_("Invalid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(data, list):
            raise ParseError(_("Expected a JSON array of events."))
        return data


class NDJSONParser(BaseParser):
    """``application/x-ndjson``: one JSON event object per line; blank lines are skipped.

    A line that is not JSON is reported like any other invalid event (its index is its
    position among the non-blank lines) rather than failing the whole request.
    """

    media_type = "application/x-ndjson"

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None) -> Any:
        events: list[Any] = []
        # split("\n"), not splitlines(): JSON strings may hold U+2028 and friends raw.
        for line in _decode(read_capped(stream)).split("\n"):
            if not line.strip():
                continue
            try:
                # One event per line: the bracket count that gates the depth walk is cheap here.
                events.append(json_parsers.loads(line))
            except json_parsers.TooDeep:
                events.append(Unparsable(json_parsers.too_deep_error().detail))
            except ValueError:
                events.append(Unparsable(_("Not valid JSON.")))
        return events
