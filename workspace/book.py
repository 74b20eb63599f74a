"""The book: a CSM's accounts list (page, CSV export and API), with the columns of the
apps that know about each account (health score, next renewal, lifecycle stage)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.imports import accounts_csv
from accounts.selectors import assignable_owners
from config.http import HtmxHttpRequest
from core.filter_errors import filter_errors_response
from core.people import display_name

from .book_actions import can_assign_owners
from .book_bulk import BookTaskForm
from .book_filter import BookFilter, book_accounts, book_columns
from .segments.views import book_segments

__all__ = ["BookFilter", "book_accounts", "book_columns", "book_export_view", "book_filter", "book_view"]

PAGE_SIZE = 50

# What the rows print (``QuerySet.only()``): the account has wide text columns the page
# never shows; the annotations come along whatever ``only()`` says. Figures: docs/workspace.md.
ROW_COLUMNS = (
    "name",
    "external_id",
    "industry",
    "arr",
    "icp_fit",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "go_live_date",
    "status",
    "dossier_score",
)


def book_filter(request: HtmxHttpRequest) -> BookFilter:
    return BookFilter(request.GET or None, queryset=book_accounts(user=request.user), request=request)


@login_required
def book_view(request: HtmxHttpRequest) -> HttpResponse:
    filterset = book_filter(request)
    page = Paginator(filterset.qs.only(*ROW_COLUMNS), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {"filter": filterset, "page": page, "query": query.urlencode()}
    if request.htmx:
        return render(request, "workspace/_book_table.html", context)
    # The owner filter and the bulk bar's owner select list the same people: one query.
    owners = [(user.pk, display_name(user)) for user in assignable_owners(user=request.user)]
    filterset.form.fields["owner"].widget.choices = owners
    context |= {"owners": owners, "can_assign_owners": can_assign_owners(request.user), "task_form": BookTaskForm()}
    # The sidebar's segments and the "Saved segment" filter list the same rows: one query.
    context |= book_segments(request)
    filterset.form.fields["in_segment"].widget.choices = [("", _("Any"))] + [
        (item.segment.pk, item.segment.name) for item in context["segments"]
    ]
    return render(request, "workspace/book.html", context)


@login_required
def book_export_view(request: HtmxHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The book as CSV, with the filters and sort currently applied."""
    filterset = book_filter(request)
    if refused := filter_errors_response(filterset):
        return refused
    accounts: Any = filterset.qs
    response = StreamingHttpResponse(accounts_csv(accounts.iterator(chunk_size=2000)), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="accounts.csv"'
    return response
