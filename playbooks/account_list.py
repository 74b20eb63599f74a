"""The lifecycle stage as a column of account lists (the book in ``workspace``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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

from .models import Stage


def with_stage(accounts: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate the current stage (no query per row): ``lifecycle_stage`` (key), ``lifecycle_label`` (in the
    active language), ``lifecycle_since`` (the day it began) and ``lifecycle_days`` (days in
    stage, local today); alias ``lifecycle_rank`` (the customer's journey, not the alphabet:
    for sorting, in the SQL only when sorted by)."""
    today = timezone.localdate()
    # ``lifecycle`` is one-to-one: a LEFT JOIN adds at most one row per account, and the
    # expressions below reuse its columns instead of repeating a subquery each.
    return (
        accounts.annotate(
            lifecycle_stage=F("lifecycle__stage"),
            lifecycle_since=F("lifecycle__entered_on"),
        )
        .alias(
            lifecycle_rank=Case(
                *(When(lifecycle_stage=stage, then=Value(rank)) for rank, stage in enumerate(Stage.values)),
                default=Value(len(Stage.values)),
                output_field=IntegerField(),
            )
        )
        .annotate(
            lifecycle_label=Case(
                *(When(lifecycle_stage=stage, then=Value(str(label))) for stage, label in Stage.choices),
                default=Value(""),
                output_field=CharField(),
            ),
            lifecycle_days=ExpressionWrapper(
                Value(today, output_field=DateField()) - F("lifecycle_since"), output_field=DurationField()
            ),
        )
    )


def filter_by_stage(accounts: QuerySet[Any], stages: Iterable[str]) -> QuerySet[Any]:
    """Accounts in any of ``stages`` (whether or not the list was annotated by ``with_stage``)."""
    return accounts.filter(lifecycle__stage__in=list(stages))
