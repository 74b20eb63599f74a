"""One FilterSet for the renewals page, its CSV export and the renewals API."""

from __future__ import annotations

import re
from datetime import date, timedelta
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
from accounts.selectors import account_scope, assignable_owners
from core.dates import validate_date_range
from core.ids import IdMultipleChoiceFilter, is_db_id, validate_id_or_keyword

from .expansion_selectors import expansion_scope
from .models import ExpansionKind, ExpansionOpportunity, ExpansionStage, RenewalOpportunity, RenewalStatus
from .periods import add_months


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


QUARTER_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")


def quarter_choices(today: date | None = None) -> list[tuple[str, str]]:
    """Quarters of expected close to pick from: two years back to two years ahead."""
    today = today or timezone.localdate()
    current = today.year * 4 + (today.month - 1) // 3
    quarters = [divmod(index, 4) for index in range(current - 8, current + 9)]
    return [(f"{year}-Q{q + 1}", f"{year} Q{q + 1}") for year, q in quarters]


def validate_quarter(value: str) -> None:
    if value and value != "none" and not QUARTER_PATTERN.match(value):
        raise forms.ValidationError(_("Enter a quarter as YYYY-Q1 to YYYY-Q4."), code="invalid")


def _expansion_owner_choices(request: HttpRequest | None) -> QuerySet[Any]:
    """Owners to filter by: the people owning an opportunity this user may see."""
    if request is None:
        return get_user_model().objects.none()
    owners = expansion_scope(user=request.user).filter(owner__isnull=False).values("owner_id")
    return get_user_model().objects.filter(pk__in=owners).order_by("first_name", "username")


class ExpansionFilter(django_filters.FilterSet):
    """The expansion pipeline page, its CSV export and ``/api/v1/expansions/``."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    # distinct=False: every filter here is on the row or a to-one relation, and a DISTINCT
    # over the annotated rows would make the page count sort the whole set.
    owner = IdMultipleChoiceFilter(queryset=_expansion_owner_choices, label=_("Owner"), distinct=False)
    # The team of the account's CSM (the book the opportunity belongs to), as on the
    # renewals page: a team id, or "none".
    team = django_filters.CharFilter(
        method="filter_team", label=_("Team"), widget=forms.Select, validators=[validate_id_or_keyword("none")]
    )
    stage = django_filters.MultipleChoiceFilter(
        choices=ExpansionStage.choices, label=_("Stage"), widget=forms.CheckboxSelectMultiple, distinct=False
    )
    quarter = django_filters.CharFilter(
        method="filter_quarter",
        label=_("Expected close (quarter)"),
        widget=forms.Select,
        validators=[validate_quarter],
    )
    segment = django_filters.MultipleChoiceFilter(
        choices=Segment.choices, method="filter_segment", label=_("Segment"), widget=forms.CheckboxSelectMultiple
    )
    kind = django_filters.ChoiceFilter(choices=ExpansionKind.choices, label=_("Kind"), empty_label=_("Any"))
    # For links and API clients (one account's opportunities); not shown in the sidebar.
    account = django_filters.NumberFilter(field_name="account_id", label="", widget=forms.HiddenInput)
    ordering = django_filters.OrderingFilter(
        fields=(
            ("expected_close", "expected_close"),
            ("account__name", "account"),
            ("amount", "amount"),
            ("weighted", "weighted"),
            ("stage", "stage"),
            ("owner__username", "owner"),
        ),
        field_labels={
            "expected_close": _("Expected close"),
            "account__name": _("Account"),
            "amount": _("Amount"),
            "weighted": _("Weighted amount"),
            "stage": _("Stage"),
            "owner__username": _("Owner"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = ExpansionOpportunity
        fields = ["q", "owner", "team", "stage", "quarter", "segment", "kind", "account"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                continue
            css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            if isinstance(field.widget, forms.Select):
                css = "form-select form-select-sm"
            field.widget.attrs.setdefault("class", css)
        self.form.fields["owner"].label_from_instance = person_name
        self.form.fields["team"].widget.choices = [("", _("Any")), ("none", _("No team")), *self._team_choices()]
        self.form.fields["quarter"].widget.choices = [
            ("", _("Any")),
            ("none", _("No expected close")),
            *quarter_choices(),
        ]
        self.form.fields["account"].validators.append(validate_account_id)

    def _team_choices(self) -> list[tuple[str, str]]:
        """Teams of the CSMs owning the accounts this user may see."""
        if self.request is None:
            return []
        teams = (
            get_user_model()
            .objects.filter(pk__in=account_scope(user=self.request.user).values("owner_id"))
            .filter(cs_profile__team__isnull=False)
            .values_list("cs_profile__team", "cs_profile__team__name")
            .distinct()
            .order_by("cs_profile__team__name", "cs_profile__team")
        )
        return [(str(pk), name) for pk, name in teams]

    def filter_search(self, queryset: QuerySet[ExpansionOpportunity], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(account__in=Account.objects.search(value).values("pk")))

    def filter_segment(self, queryset: QuerySet[ExpansionOpportunity], name: str, value: list[str]) -> QuerySet[Any]:
        if not value:
            return queryset
        return queryset.filter(account__in=Account.objects.in_segments(list(value)).values("pk"))

    def filter_team(self, queryset: QuerySet[ExpansionOpportunity], name: str, value: str) -> QuerySet[Any]:
        value = (value or "").strip()
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(Q(account__owner__isnull=True) | Q(account__owner__cs_profile__team__isnull=True))
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(account__owner__cs_profile__team=int(value))

    def filter_quarter(self, queryset: QuerySet[ExpansionOpportunity], name: str, value: str) -> QuerySet[Any]:
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(expected_close__isnull=True)
        match = QUARTER_PATTERN.match(value)
        if match is None:
            return queryset.none()
        year, quarter = int(match.group(1)), int(match.group(2))
        start = date(year, quarter * 3 - 2, 1)
        return queryset.filter(expected_close__gte=start, expected_close__lt=add_months(start, 3))

    @property
    def qs(self) -> QuerySet[ExpansionOpportunity]:
        queryset = super().qs
        ordering = list(queryset.query.order_by) or ["expected_close"]
        if "pk" not in ordering and "-pk" not in ordering:
            ordering.append("-pk")
        return queryset.order_by(*ordering)


def validate_account_id(value: Any) -> None:
    if value is not None and not is_db_id(value):
        raise forms.ValidationError(_("Enter a valid account id."), code="invalid")
