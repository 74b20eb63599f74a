"""The accounts FilterSet: the filters on the account fields themselves.

The book (``workspace.book``) extends it with the columns other apps add (health,
renewal, lifecycle stage), for its page, CSV export and API alike.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.ids import IdMultipleChoiceFilter
from core.people import display_name

from .models import Account, AccountStatus, IcpFit, Industry, TimelineEntry
from .querysets import AccountQuerySet
from .segments import Segment
from .selectors import assignable_owners

# ``?ordering=`` keys on the account's own fields: (field, parameter) and their labels.
ORDERING_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("arr", "arr"),
    ("go_live_date", "go_live_date"),
    ("updated_at", "updated_at"),
    ("industry", "industry"),
    ("status", "status"),
    ("dossier_score", "dossier_score"),
)
ORDERING_LABELS: dict[str, Any] = {
    "name": _("Name"),
    "arr": _("ARR"),
    "go_live_date": _("Go-live date"),
    "updated_at": _("Updated"),
    "industry": _("Industry"),
    "status": _("Status"),
    "dossier_score": _("Dossier completeness"),
}


def person_name(user: Any) -> str:
    return display_name(user)


def _owner_choices(request: HttpRequest | None) -> QuerySet[Any]:
    """Owners to filter by: only the people whose accounts this user may see."""
    if request is None:
        return get_user_model().objects.none()
    return assignable_owners(user=request.user)


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    segment = django_filters.MultipleChoiceFilter(
        choices=Segment.choices, method="filter_segment", label=_("Segment"), widget=forms.CheckboxSelectMultiple
    )
    industry = django_filters.MultipleChoiceFilter(choices=Industry.choices, label=_("Industry"))
    owner = IdMultipleChoiceFilter(queryset=_owner_choices, label=_("Owner"))
    icp_fit = django_filters.ChoiceFilter(choices=IcpFit.choices, label=_("ICP fit"), empty_label=_("Any"))
    status = django_filters.MultipleChoiceFilter(
        choices=AccountStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    no_touch_days = django_filters.NumberFilter(
        method="filter_no_touch", label=_("No touch in (days)"), min_value=1, max_value=3650
    )
    ordering = django_filters.OrderingFilter(fields=ORDERING_FIELDS, field_labels=ORDERING_LABELS, label=_("Sort by"))

    class Meta:
        model = Account
        fields = ["q", "segment", "industry", "owner", "icp_fit", "status", "no_touch_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.form.fields["owner"].label_from_instance = person_name

    def filter_search(self, queryset: AccountQuerySet, name: str, value: str) -> AccountQuerySet:
        return queryset.search(value)

    def filter_segment(self, queryset: AccountQuerySet, name: str, value: list[str]) -> AccountQuerySet:
        if not value:
            return queryset
        return queryset.in_segments(list(value))

    def filter_no_touch(self, queryset: AccountQuerySet, name: str, value: Any) -> AccountQuerySet:
        """Accounts with no touchpoint logged in the last ``value`` days (never touched included)."""
        if value is None:
            return queryset
        since = timezone.now() - timedelta(days=int(value))
        recent = TimelineEntry.objects.filter(account=OuterRef("pk"), is_touchpoint=True, occurred_at__gte=since)
        return queryset.filter(~Exists(recent))

    @property
    def qs(self) -> QuerySet[Account]:
        queryset = super().qs
        # A stable order for pagination: ties broken by primary key.
        ordering = list(queryset.query.order_by) or ["name"]
        if "pk" not in ordering and "-pk" not in ordering:
            ordering.append("pk")
        return queryset.order_by(*ordering)
