"""The book's filter: every account filter, plus the columns of the other apps (health
colour, days to renewal, lifecycle stage, open tasks) and a saved segment's members —
for the page, the CSV export, the API and saved segments alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import AnyUser
from accounts.filters import ORDERING_FIELDS, ORDERING_LABELS, AccountFilter
from accounts.models import Account, SavedSegment, SegmentMember
from accounts.saved_segments import segments_for_user
from accounts.selectors import account_scope
from core.ids import IdChoiceFilter
from health.models import Colour
from health.selectors import with_health
from playbooks.account_list import filter_by_stage, with_stage
from playbooks.models import OPEN_STATUSES, Stage, Task
from renewals.selectors import with_next_renewal


def book_columns(accounts: Any) -> QuerySet[Account]:
    """``accounts`` with every column of the book: subqueries and one join, never a query per row."""
    return with_stage(with_next_renewal(with_health(accounts.select_related("owner").with_segment())))


def book_accounts(*, user: AnyUser) -> QuerySet[Account]:
    """The accounts ``user`` may see, with every column of the book."""
    return book_columns(account_scope(user=user))


OPEN_TASKS_CHOICES = (
    ("any", _("Has open tasks")),
    ("overdue", _("Has overdue tasks")),
    ("none", _("No open tasks")),
)


def _segment_choices(request: HttpRequest | None) -> QuerySet[SavedSegment]:
    if request is None:
        return SavedSegment.objects.none()
    return segments_for_user(user=request.user)


class BookFilter(AccountFilter):
    """The account filters, plus the other apps' columns (health colour, days to renewal,
    stage, open tasks), a saved segment's members, and the sort keys of those columns."""

    health = django_filters.MultipleChoiceFilter(
        choices=Colour.choices, method="filter_health", label=_("Health"), widget=forms.CheckboxSelectMultiple
    )
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, method="filter_stage", label=_("Lifecycle stage"), widget=forms.CheckboxSelectMultiple
    )
    renewal_within = django_filters.NumberFilter(
        method="filter_renewal_within", label=_("Renewal within (days)"), min_value=0, max_value=3650
    )
    open_tasks = django_filters.ChoiceFilter(
        choices=OPEN_TASKS_CHOICES, method="filter_open_tasks", label=_("Open tasks"), empty_label=_("Any")
    )
    in_segment = IdChoiceFilter(
        queryset=_segment_choices, method="filter_in_segment", label=_("Saved segment"), empty_label=_("Any")
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

    def filter_health(self, queryset: QuerySet[Account], name: str, value: list[str]) -> QuerySet[Account]:
        # ``health_colour`` is the latest score's colour, annotated by ``with_health``.
        return queryset.filter(**{"health_colour__in": value}) if value else queryset

    def filter_renewal_within(self, queryset: QuerySet[Account], name: str, value: Any) -> QuerySet[Account]:
        """An undecided renewal due within ``value`` days (a lapsed one, past its date, counts)."""
        if value is None:
            return queryset
        return queryset.filter(**{"next_renewal_date__lte": timezone.localdate() + timedelta(days=int(value))})

    def filter_open_tasks(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        if not value:
            return queryset
        tasks = Task.objects.filter(account=OuterRef("pk"), status__in=OPEN_STATUSES)
        if value == "overdue":
            return queryset.filter(Exists(tasks.filter(due_date__lt=timezone.localdate())))
        return queryset.filter(Exists(tasks) if value == "any" else ~Exists(tasks))

    def filter_in_segment(self, queryset: QuerySet[Account], name: str, value: Any) -> QuerySet[Account]:
        if value is None:
            return queryset
        return queryset.filter(Exists(SegmentMember.objects.filter(segment=value, account=OuterRef("pk"))))
