"""Reads of expansion opportunities for the pipeline page, its CSV and the API.

Always scoped through the user's visible accounts (``accounts.selectors.account_scope``);
the probability and weighted amount are SQL expressions, so totals and the chart are
aggregates over whatever (filtered) set a caller hands in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncQuarter
from django.http import Http404

from accounts.access import AnyUser
from accounts.segments import segment_case
from accounts.selectors import account_scope

from .models import EXPANSION_STAGE_PROBABILITY, OPEN_EXPANSION_STAGES, ExpansionOpportunity, ExpansionStage

MONEY: DecimalField[Any, Any] = DecimalField(max_digits=18, decimal_places=2)
ZERO = Decimal("0")


def probability_expression() -> Case:
    """SQL twin of ``ExpansionOpportunity.effective_probability`` (tests keep them equal)."""
    return Case(
        When(stage=ExpansionStage.WON, then=Value(100)),
        When(stage=ExpansionStage.LOST, then=Value(0)),
        *[
            When(stage=stage, then=Coalesce(F("probability"), Value(EXPANSION_STAGE_PROBABILITY[stage])))
            for stage in OPEN_EXPANSION_STAGES
        ],
        default=Value(0),
        output_field=IntegerField(),
    )


def with_weighted(expansions: QuerySet[ExpansionOpportunity]) -> QuerySet[ExpansionOpportunity]:
    """Annotate ``probability_pct`` and ``weighted`` (amount × probability / 100)."""
    # × 0.01 rather than ÷ 100: SQLite would divide two whole numbers as integers.
    return expansions.annotate(probability_pct=probability_expression()).annotate(
        weighted=ExpressionWrapper(F("amount") * F("probability_pct") * Value(Decimal("0.01")), output_field=MONEY)
    )


def expansion_scope(*, user: AnyUser) -> QuerySet[ExpansionOpportunity]:
    """Expansion opportunities of the accounts ``user`` may see, nothing else."""
    accounts = account_scope(user=user)
    if not accounts.query.has_filters():
        return ExpansionOpportunity.objects.all()
    return ExpansionOpportunity.objects.filter(account__in=accounts.values("pk"))


def expansion_list(*, user: AnyUser) -> QuerySet[ExpansionOpportunity]:
    """The pipeline page, CSV and API: scoped, with what a row shows joined or annotated."""
    return with_weighted(
        expansion_scope(user=user)
        .select_related("account", "account__owner", "owner")
        .annotate(segment_key=segment_case("account__arr"))
    )


def get_expansion_for_user(user: AnyUser, pk: int | str) -> ExpansionOpportunity:
    """One opportunity, or 404 when it does not exist or its account is out of scope."""
    try:
        return expansion_list(user=user).get(pk=pk)
    except (ExpansionOpportunity.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("No such expansion.") from exc


@dataclass(frozen=True)
class ExpansionTotals:
    count: int
    amount: Decimal
    weighted: Decimal
    open_amount: Decimal
    open_weighted: Decimal
    won_amount: Decimal


def expansion_totals(expansions: QuerySet[ExpansionOpportunity]) -> ExpansionTotals:
    """Unweighted and weighted totals of the (filtered) set: one aggregate query."""
    is_open = Q(stage__in=OPEN_EXPANSION_STAGES)
    row = with_weighted(expansions.order_by()).aggregate(
        n=Count("pk"),
        amount_total=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
        weighted_total=Coalesce(Sum("weighted"), ZERO, output_field=MONEY),
        open_total=Coalesce(Sum("amount", filter=is_open), ZERO, output_field=MONEY),
        open_weighted_total=Coalesce(Sum("weighted", filter=is_open), ZERO, output_field=MONEY),
        won_total=Coalesce(Sum("amount", filter=Q(stage=ExpansionStage.WON)), ZERO, output_field=MONEY),
    )
    cents = Decimal("0.01")
    return ExpansionTotals(
        count=row["n"],
        amount=Decimal(row["amount_total"]).quantize(cents),
        weighted=Decimal(row["weighted_total"]).quantize(cents),
        open_amount=Decimal(row["open_total"]).quantize(cents),
        open_weighted=Decimal(row["open_weighted_total"]).quantize(cents),
        won_amount=Decimal(row["won_total"]).quantize(cents),
    )


@dataclass(frozen=True)
class PipelineQuarter:
    """One quarter of expected close: weighted amount per open stage, won in full."""

    quarter: date
    by_stage: dict[str, Decimal]

    @property
    def weighted_total(self) -> Decimal:
        return sum(self.by_stage.values(), ZERO)


def expansion_pipeline(expansions: QuerySet[ExpansionOpportunity]) -> list[PipelineQuarter]:
    """Per quarter of expected close and stage: open stages weighted, won unweighted (lost
    and undated ones left out). One aggregate query over the given (filtered) set."""
    rows = (
        with_weighted(expansions.order_by())
        .filter(expected_close__isnull=False)
        .exclude(stage=ExpansionStage.LOST)
        .annotate(quarter=TruncQuarter("expected_close"))
        .values("quarter", "stage")
        .annotate(total=Coalesce(Sum("weighted"), ZERO, output_field=MONEY))
        .order_by("quarter", "stage")
    )
    quarters: dict[date, dict[str, Decimal]] = {}
    for row in rows:
        quarter = row["quarter"].date() if hasattr(row["quarter"], "date") else row["quarter"]
        quarters.setdefault(quarter, {})[row["stage"]] = Decimal(row["total"]).quantize(Decimal("0.01"))
    return [PipelineQuarter(quarter=quarter, by_stage=stages) for quarter, stages in sorted(quarters.items())]
