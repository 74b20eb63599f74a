"""The lifecycle stage on the accounts list (page and API), plugged in by settings.

``accounts`` imports no other app: ``HOURGLASS_ACCOUNT_LIST_ANNOTATORS`` names
``with_stage`` (the stage and the day it began, joined in: no query per row) and
``HOURGLASS_ACCOUNT_LIST_FILTERS`` names ``stage_filters`` (a stage filter and a sort by
stage in lifecycle order).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import (
    Case,
    CharField,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Stage

# Sort order of the stage column: the customer's journey, not the alphabet.
STAGE_ORDER = {stage: rank for rank, stage in enumerate(Stage.values)}


def with_stage(accounts: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate the current stage (no query per row): ``lifecycle_stage`` (key), ``lifecycle_label`` (in the
    active language), ``lifecycle_since`` (the day it began), ``lifecycle_days`` (days in
    stage, local today) and ``lifecycle_rank`` (for sorting)."""
    today = timezone.localdate()
    # ``lifecycle`` is one-to-one: a LEFT JOIN adds at most one row per account, and the
    # expressions below reuse its columns instead of repeating a subquery each.
    return accounts.annotate(
        lifecycle_stage=F("lifecycle__stage"),
        lifecycle_since=F("lifecycle__entered_on"),
    ).annotate(
        lifecycle_rank=Case(
            *(When(lifecycle_stage=stage, then=Value(rank)) for stage, rank in STAGE_ORDER.items()),
            default=Value(len(STAGE_ORDER)),
            output_field=IntegerField(),
        ),
        lifecycle_label=Case(
            *(When(lifecycle_stage=stage, then=Value(str(label))) for stage, label in Stage.choices),
            default=Value(""),
            output_field=CharField(),
        ),
        lifecycle_days=ExpressionWrapper(
            Value(today, output_field=DateField()) - F("lifecycle_since"), output_field=DurationField()
        ),
    )


def _filter_stage(queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
    if not value:
        return queryset
    # The join works whether or not the list was annotated (e.g. another caller's queryset).
    return queryset.filter(lifecycle__stage__in=list(value))


def stage_filters(filterset: Any) -> None:
    """Add ``?stage=`` (several allowed) and ``?ordering=stage`` to the accounts FilterSet."""
    filterset.add_filter(
        "stage",
        django_filters.MultipleChoiceFilter(
            choices=Stage.choices,
            method=_filter_stage,
            label=_("Lifecycle stage"),
            widget=forms.CheckboxSelectMultiple,
        ),
    )
    filterset.add_ordering("lifecycle_rank", "stage", _("Lifecycle stage"))
