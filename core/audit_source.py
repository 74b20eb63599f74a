"""Where a change came from: the source every history row records.

django-simple-history keeps who and when; this module fills the row's
``history_change_reason`` with *where from*, as ``"<kind> <detail>"``:

=============  =====================================  ===========================
kind           detail                                 set by
=============  =====================================  ===========================
``page``       the URL path                           the request (simple_history's middleware)
``api-token``  the URL path                           a request with ``Authorization: Token …``
``api``        the URL path                           an ``/api/`` request on a session
``admin``      the URL path                           a Django admin request
``import``     ``#<run id>``                          ``with audit_source("import #12")``
``sync``       the system (``crm`` …)                 ``with audit_source("sync crm")``
``job``        the Celery task's name                 ``task_prerun``/``task_postrun`` hooks
``command``    the management command's name          ``with audit_source("command import_csv")``
=============  =====================================  ===========================

The innermost explicit source wins (an import run by a job records the import; a job
run eagerly inside a request records the job), then the request; a reason the caller
set itself (``instance._change_reason``) is never overwritten. Bulk writes send no
signal: pass ``default_change_reason=current_audit_source()`` to simple_history's
``bulk_*_with_history``, or use :func:`history_record_updates`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

# simple_history's default ``history_change_reason`` is a CharField(max_length=100).
MAX_LENGTH = 100

_source: ContextVar[str | None] = ContextVar("hourglass_audit_source", default=None)
_task_tokens: dict[str, Token[str | None]] = {}


class SourceKind(models.TextChoices):
    PAGE = "page", _("Page")
    API_TOKEN = "api-token", _("API (token)")
    API = "api", _("API (session)")
    ADMIN = "admin", _("Django admin")
    IMPORT = "import", _("CSV import")
    SYNC = "sync", _("Sync")
    JOB = "job", _("Background job")
    COMMAND = "command", _("Management command")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"


@contextmanager
def audit_source(label: str) -> Iterator[None]:
    """History rows written inside record ``label`` (e.g. ``"import #12"``) as their source."""
    token = _source.set(_clip(label))
    try:
        yield
    finally:
        _source.reset(token)


def source_from_request(request: Any) -> str | None:
    """``page /accounts/3/edit/``, ``api-token /api/v1/…``, ``api …`` or ``admin …``."""
    path = getattr(request, "path", None)
    if not path:
        return None
    meta = getattr(request, "META", {}) or {}
    if str(meta.get("HTTP_AUTHORIZATION", "")).startswith("Token "):
        kind = SourceKind.API_TOKEN
    elif path.startswith("/api/"):
        kind = SourceKind.API
    elif path.startswith("/admin/"):
        kind = SourceKind.ADMIN
    else:
        kind = SourceKind.PAGE
    return _clip(f"{kind.value} {path}")


def _current_request() -> Any:
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None)


def current_audit_source() -> str | None:
    """The source of a change made now: an explicit one, else the request's, else none."""
    explicit = _source.get()
    if explicit:
        return explicit
    request = _current_request()
    return source_from_request(request) if request is not None else None


def split_source(reason: str | None) -> tuple[str, str]:
    """``("import", "#12")`` from ``"import #12"``; an unknown reason is kind ``""``."""
    kind, _sep, detail = (reason or "").partition(" ")
    if kind in SourceKind.values:
        return kind, detail
    return "", reason or ""


def source_label(reason: str | None) -> str:
    """A reader's label: "CSV import #12", "Page /accounts/3/", "—" for none."""
    kind, detail = split_source(reason)
    if not kind:
        return detail or "—"
    return f"{SourceKind(kind).label} {detail}".strip()


def on_pre_create_historical_record(sender: Any, history_instance: Any = None, **_: Any) -> None:
    """simple_history's ``pre_create_historical_record``: fill the source if the caller did not."""
    if history_instance is not None and not history_instance.history_change_reason:
        history_instance.history_change_reason = current_audit_source()


def on_task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    token = _source.set(_clip(f"{SourceKind.JOB.value} {getattr(task, 'name', None) or '-'}"))
    if task_id:
        _task_tokens[task_id] = token


def on_task_postrun(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is None:
        return
    try:
        _source.reset(token)
    except ValueError:  # set in another context (should not happen): clear instead
        _source.set(None)


def history_record_updates(objs: Iterable[models.Model], model: type[models.Model], *, user: Any = None) -> None:
    """History rows ("changed") for objects written by ``QuerySet.update()``/``bulk_update``,
    which send no signal: one INSERT, with the current source."""
    objs = list(objs)
    if objs:
        model.history.bulk_history_create(  # type: ignore[attr-defined]
            objs, update=True, default_user=user, default_change_reason=current_audit_source() or ""
        )
