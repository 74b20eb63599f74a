"""The lifecycle stage on the accounts list (page and API), plugged in by settings.

``accounts`` imports no other app: ``HOURGLASS_ACCOUNT_LIST_ANNOTATORS`` names
``with_stage`` (the stage and the day it began, joined in: no query per row) and
``HOURGLASS_ACCOUNT_LIST_FILTERS`` names ``stage_filters`` (a stage filter and a sort by
stage in lifecycle order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import django_filters
from django.db.models import (
    CharField,
    DateField,
    DurationField,
    Expression,
    ExpressionWrapper,
    F,
    Field,
    IntegerField,
    QuerySet,
    Value,
)
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import InlineCheckboxSelectMultiple

from .models import Stage

# Sort order of the stage column: the customer's journey, not the alphabet.
STAGE_ORDER = {stage: rank for rank, stage in enumerate(Stage.values)}


class MapValue(Expression):
    """``CASE <expression> WHEN <key> THEN <value> … ELSE <default> END`` for a fixed mapping.

    What ``Case(*(When(field=key, then=Value(value)) …))`` says, as one expression: the
    accounts list builds these on every request, and each ``When`` is a lookup to build,
    resolve and compile — for the stage rank and label, most of the annotation's cost.
    """

    def __init__(self, expression: Any, mapping: Mapping[Any, Any], default: Any, output_field: Field) -> None:
        super().__init__(output_field=output_field)
        self.expression = expression
        self.mapping = dict(mapping)
        self.default = default

    def get_source_expressions(self) -> list[Any]:
        return [self.expression]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.expression,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.expression)
        whens = " ".join("WHEN %s THEN %s" for _ in self.mapping)
        pairs = [item for pair in self.mapping.items() for item in pair]
        return f"CASE {sql} {whens} ELSE %s END", [*params, *pairs, self.default]


def with_stage(accounts: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate the current stage (no query per row): ``lifecycle_stage`` (key), ``lifecycle_label`` (in the
    active language), ``lifecycle_since`` (the day it began) and ``lifecycle_days`` (days in
    stage, local today); alias ``lifecycle_rank`` (for sorting: in the SQL only when sorted by)."""
    today = timezone.localdate()
    # ``lifecycle`` is one-to-one: a LEFT JOIN adds at most one row per account, and the
    # expressions below reuse its columns instead of repeating a subquery each.
    stage = F("lifecycle_stage")
    return (
        accounts.annotate(
            lifecycle_stage=F("lifecycle__stage"),
            lifecycle_since=F("lifecycle__entered_on"),
        )
        .alias(lifecycle_rank=MapValue(stage, STAGE_ORDER, len(STAGE_ORDER), output_field=IntegerField()))
        .annotate(
            lifecycle_label=MapValue(
                stage, {key: str(label) for key, label in Stage.choices}, "", output_field=CharField()
            ),
            lifecycle_days=ExpressionWrapper(
                Value(today, output_field=DateField()) - F("lifecycle_since"), output_field=DurationField()
            ),
        )
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
            widget=InlineCheckboxSelectMultiple,
        ),
    )
    filterset.add_ordering("lifecycle_rank", "stage", _("Lifecycle stage"))
