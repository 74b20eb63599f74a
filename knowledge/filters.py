"""One FilterSet per list, shared by the pages and the API."""

from __future__ import annotations

import json

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Industry
from accounts.segments import Segment

from .models import Case, CaseStatus, FeedbackRequest, FeedbackStatus, SizeBand


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("Industry"))
    size_band = django_filters.ChoiceFilter(choices=SizeBand.choices, label=_("Company size"))
    arr_band = django_filters.ChoiceFilter(choices=Segment.choices, label=_("ARR band"))
    product = django_filters.CharFilter(method="filter_product", label=_("Product"))
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, label=_("Status"))

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        condition = Q()
        for word in value.split()[:6]:
            condition &= (
                Q(title__icontains=word)
                | Q(problem__icontains=word)
                | Q(approach__icontains=word)
                | Q(result__icontains=word)
            )
        return queryset.filter(condition)

    def filter_product(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        # JSON containment is not portable to SQLite; the list is short text, so a
        # quoted substring match finds the product name exactly.
        value = value.strip()
        if not value:
            return queryset
        # SQLite keeps JSON text ASCII-escaped (企业微信 as \u4f01…), PostgreSQL as is.
        return queryset.filter(Q(products__icontains=f'"{value}"') | Q(products__icontains=json.dumps(value)))


class FeedbackFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=FeedbackStatus.choices, label=_("Status"))

    class Meta:
        model = FeedbackRequest
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[FeedbackRequest], name: str, value: str) -> QuerySet[FeedbackRequest]:
        condition = Q()
        for word in value.split()[:6]:
            condition &= Q(title__icontains=word) | Q(problem__icontains=word)
        return queryset.filter(condition)
