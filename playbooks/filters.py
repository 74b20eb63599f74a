"""One FilterSet for the tasks page and the tasks API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filters import person_name
from accounts.selectors import assignable_owners
from core.ids import IdChoiceFilter, IdFilter

from .models import ACTIVE_STATUSES, OPEN_STATUSES, Priority, Task, TaskStatus, TaskType
from .selectors import due_now_q, overdue_q


def _assignee_choices(request: HttpRequest | None) -> QuerySet[Any]:
    if request is None:
        return get_user_model().objects.none()
    return assignable_owners(user=request.user)


class TaskFilter(django_filters.FilterSet):
    STATUS_CHOICES = [("open_any", _("Open (any)")), *TaskStatus.choices]
    DUE_CHOICES = [
        ("overdue", _("Overdue")),
        ("today", _("Today and overdue")),
        ("week", _("Within 7 days")),
        ("later", _("Later")),
    ]

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status", label=_("Status"))
    assignee = IdChoiceFilter(queryset=_assignee_choices, label=_("Assignee"))
    task_type = django_filters.ChoiceFilter(choices=TaskType.choices, label=_("Type"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    due = django_filters.ChoiceFilter(choices=DUE_CHOICES, method="filter_due", label=_("Due"))
    account = IdFilter(field_name="account_id", label=_("Account id"), widget=forms.HiddenInput)
    ordering = django_filters.OrderingFilter(
        fields=(("due_date", "due_date"), ("priority", "priority"), ("account__name", "account")),
        field_labels={"due_date": _("Due"), "priority": _("Priority"), "account__name": _("Account")},
        label=_("Sort by"),
    )

    class Meta:
        model = Task
        fields = ["q", "status", "assignee", "task_type", "priority", "due", "account"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.form.fields["assignee"].label_from_instance = person_name

    def filter_search(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(account__name__icontains=value))

    def filter_status(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        if value == "open_any":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value) if value else queryset

    def filter_due(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(overdue_q(today))
        if value == "today":
            return queryset.filter(due_now_q(today))
        if value == "week":
            return queryset.filter(status__in=ACTIVE_STATUSES, due_date__lte=today + timedelta(days=7))
        if value == "later":
            return queryset.filter(due_date__gt=today + timedelta(days=7))
        return queryset

    @property
    def qs(self) -> QuerySet[Task]:
        queryset = super().qs
        ordering = list(queryset.query.order_by) or ["due_date", "-priority"]
        if "pk" not in ordering and "-pk" not in ordering:
            ordering.append("pk")
        return queryset.order_by(*ordering)
