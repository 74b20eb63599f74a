"""One FilterSet for the renewals page, its CSV export and the renewals API."""

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
from accounts.models import Account, IcpFit, Industry
from accounts.segments import Segment
from accounts.selectors import assignable_owners
from core.dates import validate_date_range
from core.ids import IdMultipleChoiceFilter, validate_id_or_keyword

from .models import RenewalOpportunity, RenewalStatus


def _owner_choices(request: HttpRequest | None) -> QuerySet[Any]:
    """Owners to filter by: only the people whose accounts this user may see."""
    if request is None:
        return get_user_model().objects.none()
    return assignable_owners(user=request.user)


class RenewalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    owner = IdMultipleChoiceFilter(field_name="account__owner", queryset=_owner_choices, label=_("Owner"))
    segment = django_filters.MultipleChoiceFilter(
        choices=Segment.choices, method="filter_segment", label=_("Segment"), widget=forms.CheckboxSelectMultiple
    )
    industry = django_filters.MultipleChoiceFilter(
        field_name="account__industry", choices=Industry.choices, label=_("Industry")
    )
    icp_fit = django_filters.ChoiceFilter(
        field_name="account__icp_fit", choices=IcpFit.choices, label=_("ICP fit"), empty_label=_("Any")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=RenewalStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    due_within = django_filters.NumberFilter(
        method="filter_due_within", label=_("Due within (days)"), min_value=0, max_value=3650
    )
    due_from = django_filters.DateFilter(
        field_name="due_date",
        lookup_expr="gte",
        label=_("Due from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_range],
    )
    due_to = django_filters.DateFilter(
        field_name="due_date",
        lookup_expr="lte",
        label=_("Due until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_range],
    )
    # Through the owner's profile (renewals may not import capacity): a team id, or
    # "none" for accounts whose owner has no team.
    team = django_filters.CharFilter(
        method="filter_team", label=_("Team"), widget=forms.Select, validators=[validate_id_or_keyword("none")]
    )
    unowned = django_filters.BooleanFilter(
        field_name="account__owner", lookup_expr="isnull", label=_("Unassigned accounts only")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("due_date", "due_date"),
            ("account__name", "account"),
            ("contract__arr", "arr"),
            ("status", "status"),
            ("forecast_weighted", "forecast"),
            ("account__owner__username", "owner"),
        ),
        field_labels={
            "due_date": _("Renewal date"),
            "account__name": _("Account"),
            "contract__arr": _("ARR"),
            "status": _("Status"),
            "forecast_weighted": _("Forecast"),
            "account__owner__username": _("Owner"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = RenewalOpportunity
        fields = [
            "q",
            "owner",
            "segment",
            "industry",
            "icp_fit",
            "status",
            "due_within",
            "due_from",
            "due_to",
            "team",
            "unowned",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.form.fields["owner"].label_from_instance = person_name
        self.form.fields["team"].widget.choices = [("", _("Any")), ("none", _("No team")), *self._team_choices()]

    def _team_choices(self) -> list[tuple[str, str]]:
        """Teams of the owners this user may filter by (read through their profiles)."""
        teams = (
            _owner_choices(self.request)
            .filter(cs_profile__team__isnull=False)
            .values_list("cs_profile__team", "cs_profile__team__name")
            .distinct()
            .order_by("cs_profile__team__name", "cs_profile__team")
        )
        return [(str(pk), name) for pk, name in teams]

    def filter_search(self, queryset: QuerySet[RenewalOpportunity], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(account__in=Account.objects.search(value).values("pk")) if value.strip() else queryset

    def filter_segment(self, queryset: QuerySet[RenewalOpportunity], name: str, value: list[str]) -> QuerySet[Any]:
        if not value:
            return queryset
        return queryset.filter(account__in=Account.objects.in_segments(list(value)).values("pk"))

    def filter_due_within(self, queryset: QuerySet[RenewalOpportunity], name: str, value: Any) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(due_date__lte=timezone.localdate() + timedelta(days=int(value)))

    def filter_team(self, queryset: QuerySet[RenewalOpportunity], name: str, value: str) -> QuerySet[Any]:
        value = (value or "").strip()
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(Q(account__owner__isnull=True) | Q(account__owner__cs_profile__team__isnull=True))
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(account__owner__cs_profile__team=int(value))

    @property
    def qs(self) -> QuerySet[RenewalOpportunity]:
        queryset = super().qs
        # A stable order for pagination: ties broken by primary key.
        ordering = list(queryset.query.order_by) or ["due_date"]
        if "pk" not in ordering and "-pk" not in ordering:
            ordering.append("pk")
        return queryset.order_by(*ordering)
