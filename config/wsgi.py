"""The WSGI application (gunicorn ``config.wsgi``)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.handlers.wsgi import LimitedStream
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# nginx lets bodies up to 25 MB through (deploy/render.py); what is left of a larger one
# is not worth reading: the connection is dropped as before.
DRAIN_LIMIT = 32 * 1024 * 1024
_CHUNK = 64 * 1024


class _DrainingResult:
    """The app's response iterable; closing it also reads what the app left of the body."""

    def __init__(self, result: Iterable[bytes], stream: Any, limit: int) -> None:
        self._result, self._stream, self._limit = result, stream, limit

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._result)

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            drain(self._stream, self._limit)


def drain(stream: Any, limit: int) -> int:
    """Read and drop up to ``limit`` bytes left in ``stream``; the number read."""
    read = 0
    try:
        while read < limit:
            chunk = stream.read(min(_CHUNK, limit - read))
            if not chunk:
                break
            read += len(chunk)
    except OSError:  # the client went away: nothing left to protect
        pass
    return read


class DrainUnreadBody:
    """Answer a request the app refused unread (401 to an upload without a token) cleanly.

    gunicorn's sync workers close the socket right after the response; with part of the
    request body still unread, the kernel resets the connection and the proxy in front
    (nginx) may see the reset before the response and answer 502 instead of the app's
    401 or 413. Reading the rest first (up to ``DRAIN_LIMIT``) lets the response arrive.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: int = DRAIN_LIMIT) -> None:
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0:  # no body (or chunked, which Django does not read either)
            return self.app(environ, start_response)
        # Counted here, so that draining stops at the body's end whatever the server's
        # stream does past it (a keep-alive socket would block).
        stream = LimitedStream(environ["wsgi.input"], length)
        environ["wsgi.input"] = stream
        return _DrainingResult(self.app(environ, start_response), stream, self.limit)


application = DrainUnreadBody(get_wsgi_application())

# What start-up loaded (Django, the apps, URL patterns, templates) lives as long as the
# process: moved out of the collector's reach, full collections during large ingest
# requests no longer walk it each time (Python's docs recommend this after start-up).
gc.freeze()
