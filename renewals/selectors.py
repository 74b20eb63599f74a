"""Reads of contracts and renewals, always scoped through the user's visible accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.models import (
    Account,
    DossierSection,
    KeyPersonLevel,
    PromiseStatus,
    RiskFlag,
    RiskKind,
    SalesPromise,
    SectionKey,
    Stakeholder,
    TimelineEntry,
    TouchpointKind,
)
from accounts.segments import segment_case
from accounts.selectors import account_scope, get_account_for_user
from core.messages import message_render
from health.selectors import latest_score

from .models import (
    HEALTH_GREEN_FROM,
    HEALTH_RED_BELOW,
    OPEN_STATUSES,
    SIGNAL_BY_HEALTH,
    SIGNAL_PROBABILITY,
    Contract,
    ContractStatus,
    ExpansionOpportunity,
    RenewalOpportunity,
    RenewalStatus,
)
from .periods import add_months

# Open pipeline is ``OPEN_STATUSES``; a lapsed renewal is out of it but still undecided.
UNDECIDED_STATUSES = (*OPEN_STATUSES, RenewalStatus.LAPSED)

MONEY: DecimalField[Any, Any] = DecimalField(max_digits=16, decimal_places=2)
RATIO: DecimalField[Any, Any] = DecimalField(max_digits=3, decimal_places=2)


def signal_probability_expression() -> Case:
    """SQL twin of ``models.signal_probability_for``: sortable and summable.

    Reads the ``health_score`` annotation; without a score the stage alone decides.
    """
    whens: list[When] = []
    for status, (green, yellow, red) in SIGNAL_BY_HEALTH.items():
        whens += [
            When(Q(status=status) & Q(health_score__gte=HEALTH_GREEN_FROM), then=Value(green)),
            When(Q(status=status) & Q(health_score__gte=HEALTH_RED_BELOW), then=Value(yellow)),
            When(Q(status=status) & Q(health_score__isnull=False), then=Value(red)),
        ]
    whens += [When(status=status, then=Value(value)) for status, value in SIGNAL_PROBABILITY.items()]
    return Case(*whens, default=Value(Decimal("0")), output_field=RATIO)


def with_forecast(renewals: QuerySet[RenewalOpportunity]) -> QuerySet[RenewalOpportunity]:
    """Annotate ``health_score`` (the account's latest), ``signal_p`` and
    ``signal_weighted`` (the signal), ``effective_p`` and ``forecast_weighted`` (the
    CSM's call, else the signal)."""
    signal = signal_probability_expression()
    return (
        renewals.annotate(health_score=latest_score("account_id"))
        .annotate(
            signal_p=signal,
            effective_p=Coalesce(F("override_probability"), signal, output_field=RATIO),
        )
        .annotate(
            signal_weighted=ExpressionWrapper(F("forecast_arr") * F("signal_p"), output_field=MONEY),
            forecast_weighted=ExpressionWrapper(F("forecast_arr") * F("effective_p"), output_field=MONEY),
        )
    )


def renewal_scope(*, user: AnyUser) -> QuerySet[RenewalOpportunity]:
    """Renewals of the accounts ``user`` may see, nothing else."""
    accounts = account_scope(user=user)
    if not accounts.query.has_filters():
        # Every account (admins): a semi-join on the whole accounts table filters
        # nothing and costs the KPI page's aggregates a hash of every account.
        return RenewalOpportunity.objects.all()
    return RenewalOpportunity.objects.filter(account__in=accounts.values("pk"))


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

    @property
    def open_arr(self) -> Decimal:
        """ARR neither committed nor at risk (still plain open)."""
        return self.arr - self.committed - self.at_risk


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
    """Annotate ``next_renewal_date`` (earliest undecided renewal: open, or lapsed and
    still to be closed) for account lists: one subquery."""
    upcoming = (
        RenewalOpportunity.objects.filter(account=OuterRef("pk"), status__in=UNDECIDED_STATUSES)
        .order_by("due_date")
        .values("due_date")[:1]
    )
    return accounts.annotate(next_renewal_date=Subquery(upcoming))


SELF_CHECK_CHAIN_MONTHS = 12
SELF_CHECK_VALUE_DAYS = 90


@dataclass(frozen=True)
class SelfCheckItem:
    """One line of the renewal self-check: ``ok`` is green, ``evidence`` says why."""

    key: str
    label: str
    ok: bool
    evidence: list[str]


@dataclass(frozen=True)
class _SelfCheckFacts:
    goals: str
    left: list[tuple[str, date | None]]
    flags: list[str]
    promises: list[tuple[str, str, date | None]]
    last_value: tuple[str, datetime] | None


def _self_check_facts(account_id: int, today: date) -> _SelfCheckFacts:
    """Five small queries: goals, key people who left, open decision-chain flags,
    unkept promises, latest value report."""
    goals = (
        DossierSection.objects.filter(account_id=account_id, key=SectionKey.PURCHASE_GOALS)
        .values_list("content", flat=True)
        .first()
        or ""
    ).strip()
    chain_since = add_months(today, -SELF_CHECK_CHAIN_MONTHS)
    left = list(
        Stakeholder.objects.filter(account_id=account_id, left_on__gte=chain_since, left_on__lte=today)
        .exclude(key_level=KeyPersonLevel.NONE)
        .order_by("-left_on", "pk")
        .values_list("name", "left_on")
    )
    flags = [
        message_render(key, params, fallback=reason)  # a generated reason, in the reader's language
        for reason, key, params in RiskFlag.objects.filter(
            account_id=account_id, kind=RiskKind.DECISION_CHAIN_CHANGED, resolved_at__isnull=True
        )
        .order_by("-raised_at", "pk")
        .values_list("reason", "reason_key", "reason_params")
    ]
    promises = list(
        SalesPromise.objects.filter(account_id=account_id)
        .filter(Q(status=PromiseStatus.BROKEN) | Q(status=PromiseStatus.OPEN, due_date__lt=today))
        .order_by("due_date", "pk")
        .values_list("promise", "status", "due_date")
    )
    value_since = timezone.now() - timedelta(days=SELF_CHECK_VALUE_DAYS)
    last_value = (
        TimelineEntry.objects.filter(
            account_id=account_id,
            is_touchpoint=True,
            kind=TouchpointKind.VALUE_REPORT,
            occurred_at__gte=value_since,
        )
        .order_by("-occurred_at", "-pk")
        .values_list("title", "occurred_at")
        .first()
    )
    return _SelfCheckFacts(goals=goals, left=left, flags=flags, promises=promises, last_value=last_value)


def renewal_self_check(renewal: RenewalOpportunity, *, today: date | None = None) -> list[SelfCheckItem]:
    """The self-check before a renewal, computed from the account's dossier.

    Five small queries whatever the account holds (``_self_check_facts``), never one per row.
    """
    today = today or timezone.localdate()
    facts = _self_check_facts(renewal.account_id, today)
    goals, last_value = facts.goals, facts.last_value
    chain_evidence = [
        _("%(name)s left on %(date)s") % {"name": name, "date": _iso(left_on)} for name, left_on in facts.left
    ] + [_("Open risk flag: %(reason)s") % {"reason": reason or _("no reason given")} for reason in facts.flags]
    promise_evidence = [
        (
            _("Broken: %(promise)s") % {"promise": text}
            if status == PromiseStatus.BROKEN
            else _("Overdue since %(date)s: %(promise)s") % {"date": _iso(due), "promise": text}
        )
        for text, status, due in facts.promises
    ]
    return [
        SelfCheckItem(
            key="purchase_goals",
            label=_("Purchase goals written down"),
            ok=bool(goals),
            evidence=[Truncator(goals).chars(200)] if goals else [_("The dossier's purchase goals are empty.")],
        ),
        SelfCheckItem(
            key="decision_chain",
            label=_("Decision chain unchanged"),
            ok=not chain_evidence,
            evidence=chain_evidence
            or [
                _("No key person left in the last %(months)s months and no open flag.")
                % {"months": SELF_CHECK_CHAIN_MONTHS}
            ],
        ),
        SelfCheckItem(
            key="sales_promises",
            label=_("Sales promises kept"),
            ok=not promise_evidence,
            evidence=promise_evidence or [_("No broken or overdue sales promise.")],
        ),
        SelfCheckItem(
            key="value_presented",
            label=_("Value presented"),
            ok=last_value is not None,
            evidence=[
                _("%(title)s on %(date)s")
                % {"title": last_value[0], "date": timezone.localtime(last_value[1]).date().isoformat()}
            ]
            if last_value
            else [_("No value report in the last %(days)s days.") % {"days": SELF_CHECK_VALUE_DAYS}],
        ),
    ]


def _iso(day: date | None) -> str:
    return day.isoformat() if day else "—"


def account_expansions(*, account: Account) -> QuerySet[ExpansionOpportunity]:
    """An account's expansion opportunities, newest first (the caller checked access)."""
    return ExpansionOpportunity.objects.filter(account=account).select_related("created_by", "owner")


def get_account_expansion(*, account: Account, pk: int | str) -> ExpansionOpportunity:
    """One expansion of ``account``, or 404 (also for an id of another account)."""
    try:
        return account_expansions(account=account).get(pk=pk)
    except (ExpansionOpportunity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such expansion.") from exc
