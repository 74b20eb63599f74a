"""Request ids, structured (JSON) logs and Celery task failures.

* ``RequestIdMiddleware`` takes the incoming ``X-Request-ID`` (when it is a sane token)
  or makes one, keeps it in a context variable for the request and returns it in the
  response header.
* ``RequestIdFilter`` puts it on every log record (``record.request_id``, ``-`` outside a
  request), and ``JsonFormatter`` writes one JSON object per line.
* Celery: a task sent during a request carries the id in its headers; the worker sets it
  around the task, so the task's log lines carry the request's id. A task that fails is
  stored as a ``TaskFailure`` row (admin: Core › Task failures).
"""

from __future__ import annotations

import json
import logging
import re
import traceback as tb
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("hourglass_request_id", default=None)
task_context_var: ContextVar[dict[str, str] | None] = ContextVar("hourglass_task", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def clean_request_id(value: str | None) -> str:
    """The incoming id if it is a plain token (no spaces or control characters), else a new one."""
    if value and _VALID_ID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (and ``task_name``/``task_id`` inside a Celery task) to records."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a 4xx/5xx after the middleware returned: read it off the request.
        request = getattr(record, "request", None)
        record.request_id = request_id_var.get() or getattr(request, "request_id", None) or "-"
        task = task_context_var.get() or {}
        record.task_name = task.get("name", "-")
        record.task_id = task.get("id", "-")
        return True


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, task, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get() or "-",
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in payload and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


# --- Celery signal handlers (connected in config/celery_app.py) -----------------------


def on_before_task_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault("hourglass_request_id", request_id)


_task_tokens: dict[str, tuple[Any, Any]] = {}


def on_task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, "hourglass_request_id", None)
    if request_id is None and request is not None:
        headers = getattr(request, "headers", None) or {}
        request_id = headers.get("hourglass_request_id") if isinstance(headers, dict) else None
    tokens = (
        request_id_var.set(request_id),
        task_context_var.set({"name": getattr(task, "name", "-"), "id": task_id or "-"}),
    )
    if task_id:
        _task_tokens[task_id] = tokens


def on_task_postrun(task_id: str | None = None, **_: Any) -> None:
    tokens = _task_tokens.pop(task_id or "", None)
    if tokens is None:
        return
    try:
        request_id_var.reset(tokens[0])
        task_context_var.reset(tokens[1])
    except ValueError:  # set in another context (should not happen): clear instead
        request_id_var.set(None)
        task_context_var.set(None)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def on_task_failure(
    sender: Any = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    """Store the failure; never let bookkeeping break the worker."""
    try:
        from .services import task_failure_record

        if einfo is not None and getattr(einfo, "traceback", None):
            trace = str(einfo.traceback)
        elif exception is not None:
            trace = "".join(tb.format_exception(exception))
        else:
            trace = ""
        task_failure_record(
            task_name=getattr(sender, "name", "") or "",
            task_id=task_id or "",
            args=_jsonable(list(args or [])),
            kwargs=_jsonable(dict(kwargs or {})),
            exception=f"{type(exception).__name__}: {exception}" if exception is not None else "",
            traceback=trace,
            request_id=request_id_var.get() or "",
        )
    except Exception:  # pragma: no cover - logged, the worker carries on
        logging.getLogger(__name__).exception("could not record the failure of task %s", task_id)
