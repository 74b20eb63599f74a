"""Reads of contracts and renewals, always scoped through the user's visible accounts."""

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
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter
from django.http import Http404
from django.utils import timezone

from accounts.access import AnyUser
from accounts.models import Account
from accounts.segments import segment_case
from accounts.selectors import account_scope, get_account_for_user

from .models import (
    OPEN_STATUSES,
    SIGNAL_PROBABILITY,
    Contract,
    ContractStatus,
    RenewalOpportunity,
    RenewalStatus,
)

MONEY: DecimalField[Any, Any] = DecimalField(max_digits=16, decimal_places=2)
RATIO: DecimalField[Any, Any] = DecimalField(max_digits=3, decimal_places=2)


def signal_probability_expression() -> Case:
    """SQL twin of ``RenewalOpportunity.signal_probability``: sortable and summable."""
    return Case(
        *[When(status=status, then=Value(value)) for status, value in SIGNAL_PROBABILITY.items()],
        default=Value(Decimal("0")),
        output_field=RATIO,
    )


def with_forecast(renewals: QuerySet[RenewalOpportunity]) -> QuerySet[RenewalOpportunity]:
    """Annotate ``signal_weighted`` (signal) and ``forecast_weighted`` (CSM's call, else signal)."""
    return renewals.annotate(
        signal_p=signal_probability_expression(),
        effective_p=Coalesce(F("override_probability"), signal_probability_expression(), output_field=RATIO),
    ).annotate(
        signal_weighted=ExpressionWrapper(F("forecast_arr") * F("signal_p"), output_field=MONEY),
        forecast_weighted=ExpressionWrapper(F("forecast_arr") * F("effective_p"), output_field=MONEY),
    )


def renewal_scope(*, user: AnyUser) -> QuerySet[RenewalOpportunity]:
    """Renewals of the accounts ``user`` may see, nothing else."""
    return RenewalOpportunity.objects.filter(account__in=account_scope(user=user).values("pk"))


def renewal_list(*, user: AnyUser) -> QuerySet[RenewalOpportunity]:
    """The renewals page and API: scoped, everything a row shows joined or annotated."""
    return with_forecast(
        renewal_scope(user=user)
        .select_related("account", "account__owner", "contract", "override_by", "churn_reason")
        .annotate(segment_key=segment_case("account__arr"), contract_arr=F("contract__arr"))
    )


def get_renewal_for_user(user: AnyUser, pk: int | str) -> RenewalOpportunity:
    """One renewal, or 404 when it does not exist or its account is outside the user's scope."""
    try:
        renewal = with_forecast(
            RenewalOpportunity.objects.select_related(
                "account", "account__owner", "contract", "override_by", "churn_reason", "closed_by"
            )
        ).get(pk=pk)
    except (RenewalOpportunity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such renewal.") from exc
    # The account's own access check decides; a 404 does not reveal that it exists.
    get_account_for_user(user, renewal.account_id)
    return renewal


def contract_list(*, user: AnyUser) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(account__in=account_scope(user=user).values("pk"))
        .select_related("account", "renewal")
        .order_by("-end_date", "pk")
    )


def get_contract_for_user(user: AnyUser, pk: int | str) -> Contract:
    try:
        contract = Contract.objects.select_related("account", "renewal").get(pk=pk)
    except (Contract.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such contract.") from exc
    get_account_for_user(user, contract.account_id)
    return contract


@dataclass(frozen=True)
class AccountRenewalSummary:
    next_renewal_date: date | None
    active_arr: Decimal
    active_contracts: int


def account_renewal_summary(*, account: Account, today: date | None = None) -> AccountRenewalSummary:
    """An account's renewal date (its earliest open renewal) and ARR (contracts in force today)."""
    today = today or timezone.localdate()
    in_force = Contract.objects.filter(
        account=account, status=ContractStatus.ACTIVE, start_date__lte=today, end_date__gte=today
    ).aggregate(arr=Coalesce(Sum("arr"), Decimal("0")), n=Count("pk"))
    next_date = RenewalOpportunity.objects.filter(account=account, status__in=OPEN_STATUSES).aggregate(
        next=Min("due_date")
    )["next"]
    return AccountRenewalSummary(
        next_renewal_date=next_date, active_arr=in_force["arr"], active_contracts=in_force["n"]
    )


@dataclass(frozen=True)
class PipelineRow:
    period: date
    renewals: int
    arr: Decimal
    forecast: Decimal
    committed: Decimal
    at_risk: Decimal


def renewal_pipeline(*, renewals: QuerySet[RenewalOpportunity], by: str = "month") -> list[PipelineRow]:
    """Open renewals per month or quarter: ARR up, forecast, committed and at-risk ARR.

    One aggregate query over whatever (already scoped and filtered) renewals it is given.
    """
    trunc = TruncQuarter("due_date") if by == "quarter" else TruncMonth("due_date")
    rows = (
        with_forecast(renewals.filter(status__in=OPEN_STATUSES).order_by())
        .annotate(period=trunc)
        .values("period")
        .annotate(
            n=Count("pk"),
            arr_total=Coalesce(Sum("forecast_arr"), Decimal("0"), output_field=MONEY),
            forecast_total=Coalesce(Sum("forecast_weighted"), Decimal("0"), output_field=MONEY),
            committed_total=Coalesce(
                Sum("forecast_arr", filter=Q(status=RenewalStatus.COMMITTED)), Decimal("0"), output_field=MONEY
            ),
            at_risk_total=Coalesce(
                Sum("forecast_arr", filter=Q(status=RenewalStatus.AT_RISK)), Decimal("0"), output_field=MONEY
            ),
        )
        .order_by("period")
    )
    return [
        PipelineRow(
            period=row["period"],
            renewals=row["n"],
            arr=row["arr_total"],
            forecast=Decimal(row["forecast_total"]).quantize(Decimal("1")),
            committed=row["committed_total"],
            at_risk=row["at_risk_total"],
        )
        for row in rows
    ]


def with_next_renewal(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """Annotate ``next_renewal_date`` (earliest open renewal) for account lists: one subquery."""
    upcoming = (
        RenewalOpportunity.objects.filter(account=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by("due_date")
        .values("due_date")[:1]
    )
    return accounts.annotate(next_renewal_date=Subquery(upcoming))
