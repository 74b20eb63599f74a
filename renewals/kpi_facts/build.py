"""Building the KPI facts from their inputs: every account (the nightly rebuild) or a few
(the incremental refresh of the accounts whose inputs changed).

An account's facts come from its row (owner, queue team, ARR → segment, industry, ICP
fit, status, go-live date), its renewals with their contracts, its purchased seats and
its daily rollups; the same definitions as ``kpis`` and ``adoption_kpis`` compute
directly (``tests/renewals/test_kpi_facts.py`` holds them equal on random data).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractQuarter, ExtractYear

from accounts.models import Account, AccountStatus
from accounts.segments import segment_bands, segment_for_arr
from health.models import DailyRollup

from ..adoption_kpis import ACTIVE_DAYS, _activated, activation_criterion, seats_subquery
from ..kpis import _aggregates, quarter_start
from ..models import RenewalOpportunity
from ..periods import add_months
from .models import CELL_KEYS, FIGURES, MONEY_FIGURES, KpiFact

ZERO = Decimal("0")
CellKey = tuple[Any, ...]

# The renewal aggregate's names (``kpis._aggregates``) → the fact's columns.
_RENEWAL_COLUMNS = {
    "n_due": "n_due",
    "n_closed": "n_closed",
    "n_open": "n_open",
    "n_kept": "n_kept",
    "n_churned": "n_churned",
    "kept_previous": "kept_previous",
    "upgrades": "upgrades",
    "downgrades": "downgrades",
    "churn": "churn",
}


def fingerprint() -> str:
    """What the facts depend on besides the data: the segment bands and the activation
    criterion. A change makes the cells unusable until the next rebuild."""
    days, share = activation_criterion()
    bands = ",".join(f"{key}>={lower}" for key, lower in segment_bands())
    return f"v2;{bands};act={days}/{share};active={ACTIVE_DAYS}"


@dataclass(frozen=True)
class _Keys:
    owner_key: int
    queue_key: int
    segment: str
    industry: str
    icp_fit: str
    counted: bool  # not churned: the adoption figures count it
    go_live: date | None


def _only(queryset: QuerySet[Any], field: str, account_ids: Sequence[int] | None) -> QuerySet[Any]:
    return queryset if account_ids is None else queryset.filter(**{f"{field}__in": list(account_ids)})


def _account_keys(account_ids: Sequence[int] | None) -> dict[int, _Keys]:
    bands = segment_bands()
    rows = _only(Account.objects.order_by(), "pk", account_ids).values_list(
        "pk", "owner_id", "queue_team_id", "arr", "industry", "icp_fit", "status", "go_live_date"
    )
    return {
        pk: _Keys(
            owner_key=owner or 0,
            queue_key=(queue or 0) if owner is None else 0,
            segment=segment_for_arr(arr, bands=bands),
            industry=industry,
            icp_fit=icp_fit,
            counted=status != AccountStatus.CHURNED,
            go_live=go_live,
        )
        for pk, owner, queue, arr, industry, icp_fit, status, go_live in rows
    }


def _quarter(year: int, number: int) -> date:
    return date(year, 3 * (number - 1) + 1, 1)


def _renewal_facts(account_ids: Sequence[int] | None) -> Iterable[dict[str, Any]]:
    """Per account and due quarter: the renewal report's counts and sums."""
    renewals = _only(RenewalOpportunity.objects.order_by(), "account_id", account_ids)
    return renewals.values("account_id", y=ExtractYear("due_date"), q=ExtractQuarter("due_date")).annotate(
        **_aggregates()
    )


def _launches(account_ids: Sequence[int] | None) -> Iterable[tuple[int, date, bool]]:
    """(account, go-live date, activated) of every account not churned with a go-live date."""
    days, share = activation_criterion()
    accounts = _only(Account.objects.order_by(), "pk", account_ids).exclude(status=AccountStatus.CHURNED)
    return (
        accounts.filter(go_live_date__isnull=False)
        .annotate(adoption_seats=seats_subquery())
        .annotate(kpi_activated=_activated(days, share, None))
        .values_list("pk", "go_live_date", "kpi_activated")
    )


def _last_days_of_quarters() -> Q:
    """The rollup days in the last ``ACTIVE_DAYS`` days of their quarter (all in its last month)."""
    if not 1 <= ACTIVE_DAYS <= 30:
        raise ValueError("the active window must lie within a quarter's last month")
    condition = Q()
    for month, length in ((3, 31), (6, 30), (9, 30), (12, 31)):
        condition |= Q(kpi_month=month, kpi_day__gte=length - ACTIVE_DAYS + 1)
    return condition


def _active_quarters(account_ids: Sequence[int] | None) -> Iterable[tuple[int, int, int]]:
    """(account, year, quarter) where the account had usage in the quarter's last days."""
    rollups = _only(DailyRollup.objects.order_by(), "account_id", account_ids).filter(events__gt=0)
    return (
        rollups.annotate(kpi_month=ExtractMonth("day"), kpi_day=ExtractDay("day"))
        .filter(_last_days_of_quarters())
        .values_list("account_id", ExtractYear("day"), ExtractQuarter("day"))
        .distinct()
    )


def facts_of(account_ids: Sequence[int] | None) -> list[KpiFact]:
    """The fact rows of these accounts (None: every account), from their inputs."""
    keys = _account_keys(account_ids)
    found: dict[tuple[int, date], dict[str, Any]] = {}

    def row(account_id: int, quarter: date) -> dict[str, Any]:
        return found.setdefault((account_id, quarter), {})

    for values in _renewal_facts(account_ids):
        figures = row(values["account_id"], _quarter(values["y"], values["q"]))
        for name, column in _RENEWAL_COLUMNS.items():
            figures[column] = values[name]
    for account_id, go_live, activated in _launches(account_ids):
        figures = row(account_id, quarter_start(go_live))
        figures["launched"] = 1
        figures["activated"] = 1 if activated else 0
    for account_id, year, number in _active_quarters(account_ids):
        account = keys.get(account_id)
        quarter = _quarter(year, number)
        # Active counts the accounts live at the quarter's end, churned ones left out.
        if account is None or not account.counted or account.go_live is None:
            continue
        if account.go_live <= add_months(quarter, 3) - timedelta(days=1):
            row(account_id, quarter)["active"] = 1
    facts = []
    for (account_id, quarter), figures in found.items():
        account = keys.get(account_id)
        if account is None:
            continue
        facts.append(
            KpiFact(
                account_id=account_id,
                quarter=quarter,
                owner_key=account.owner_key,
                queue_key=account.queue_key,
                segment=account.segment,
                industry=account.industry,
                icp_fit=account.icp_fit,
                **figures,
            )
        )
    return facts


def cell_key(fact: Any) -> CellKey:
    return tuple(getattr(fact, name) for name in CELL_KEYS)


def summed(facts: Iterable[Any]) -> dict[CellKey, dict[str, Any]]:
    """The facts added up per cell key (``accounts``: how many fact rows)."""
    cells: dict[CellKey, dict[str, Any]] = {}
    for fact in facts:
        total = cells.get(cell_key(fact))
        if total is None:
            total = cells[cell_key(fact)] = {name: ZERO if name in MONEY_FIGURES else 0 for name in FIGURES}
            total["accounts"] = 0
        for name in FIGURES:
            total[name] += getattr(fact, name)
        total["accounts"] += 1
    return cells
