"""The book: a CSM's accounts list (page, CSV export and API), with the columns of the
apps that know about each account (health score, next renewal, lifecycle stage)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.access import AnyUser
from accounts.filters import ORDERING_FIELDS, ORDERING_LABELS, AccountFilter
from accounts.imports import accounts_csv
from accounts.models import Account
from accounts.selectors import account_scope, assignable_owners
from config.http import HtmxHttpRequest
from core.filter_errors import filter_errors_response
from core.people import display_name
from health.selectors import with_health
from playbooks.account_list import filter_by_stage, with_stage
from playbooks.models import Stage
from renewals.selectors import with_next_renewal

from .book_actions import can_assign_owners
from .book_bulk import BookTaskForm

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


def book_accounts(*, user: AnyUser) -> QuerySet[Account]:
    """The accounts ``user`` may see, with every column of the book: subqueries and one
    join, never a query per row."""
    accounts = account_scope(user=user).select_related("owner").with_segment()
    return with_stage(with_next_renewal(with_health(accounts)))


class BookFilter(AccountFilter):
    """The account filters, plus the stage filter and the sort keys of the other apps' columns."""

    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, method="filter_stage", label=_("Lifecycle stage"), widget=forms.CheckboxSelectMultiple
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            *ORDERING_FIELDS,
            ("health_score", "health_score"),
            ("next_renewal_date", "next_renewal_date"),
            ("lifecycle_rank", "stage"),
        ),
        field_labels={
            **ORDERING_LABELS,
            "health_score": _("Health score"),
            "next_renewal_date": _("Next renewal"),
            "lifecycle_rank": _("Lifecycle stage"),
        },
        label=_("Sort by"),
    )

    def filter_stage(self, queryset: QuerySet[Account], name: str, value: list[str]) -> QuerySet[Account]:
        return filter_by_stage(queryset, value) if value else queryset


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
