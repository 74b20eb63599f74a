"""The audit log pages: changes (``/audit/``), its CSV export, and the login audit.

Admins and managers only (a CSM gets 403); what each sees is the selectors' scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.csv_export import SafeCsvWriter
from core.people import display_name

from .forms import AuditFilterForm, LoginFilterForm
from .logins import current_lockouts, login_events
from .selectors import AuditEntry, AuditPage, audit_entries_all, audit_page, can_view_audit


def _require_auditor(request: HttpRequest) -> None:
    if not can_view_audit(request.user):
        raise PermissionDenied


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
def audit_log_view(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    form = AuditFilterForm(request.GET, user=request.user)
    page = audit_page(user=request.user, query=form.query()) if form.is_valid() else AuditPage([], None)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "filters": _query_without(request, "before"),
        "tab": "changes",
    }
    template = "workspace/audit/_entries.html" if getattr(request, "htmx", False) else "workspace/audit/log.html"
    return render(request, template, context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(entries: Iterator[AuditEntry]) -> Iterator[str]:
    writer = SafeCsvWriter(_Echo())
    yield writer.writerow(
        [_("When"), _("Person"), _("Action"), _("Record type"), _("Record"), _("Account"), _("Field"),
         _("Old value"), _("New value"), _("Source")]
    )  # fmt: skip
    for entry in entries:
        when = timezone.localtime(entry.when).isoformat(timespec="seconds")
        base = [when, display_name(entry.who) if entry.who else "", entry.action_label, entry.audited.label,
                f"#{entry.object_id} {entry.object_title}".strip(), entry.account_name]  # fmt: skip
        cells = [[change.label, change.old_text, change.new_text] for change in entry.changes] or [["", "", ""]]
        for cell in cells:
            yield writer.writerow([*base, *cell, entry.source])


@login_required
def audit_export_view(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered log as CSV (one line per changed field), with the page's scope."""
    _require_auditor(request)
    form = AuditFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        lines = [f"{name}: {'; '.join(str(error) for error in errors)}" for name, errors in form.errors.items()]
        return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    entries = audit_entries_all(user=request.user, query=form.query())
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@login_required
def login_audit_view(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    form = LoginFilterForm(request.GET, user=request.user)
    events, more = login_events(user=request.user, query=form.query()) if form.is_valid() else ([], None)
    context: dict[str, Any] = {
        "form": form,
        "events": events,
        "next_before": more.isoformat() if more else "",
        "lockouts": current_lockouts(user=request.user),
        "filters": _query_without(request, "before"),
        "tab": "logins",
    }
    return render(request, "workspace/audit/logins.html", context)
