"""Forecast accuracy: how good the CSMs' calls and the signal forecast were.

Which renewals count
--------------------
The **closed** renewals (renewed, downgraded, churned) whose renewal date falls in
``[start, end]``, in the user's scope (CSM: their accounts, manager: the team's, admin:
all), grouped by the quarter of the renewal date — as the retention KPIs group them.
Open and lapsed renewals have no outcome yet and are left out. Kept = renewed or
downgraded (1), lost = churned (0).

What each forecast is
---------------------
- **CSM's call**: what the renewal stores as the CSM's probability when it was closed
  (``override_probability``, which closing keeps); a renewal whose CSM never made a
  call follows the signal, as the renewal page does (``RenewalOpportunity.probability``),
  and "own calls" counts those where the CSM did.
- **Signal**: ``models.signal_probability_for`` of the stage the renewal was in before it
  was closed — the last open stage (open, at risk, committed) in its history, "open"
  when it has none (rows written without history) — and the account's latest stored health score on or before the day
  it was closed (none: the stage alone).

Figures of a group
------------------
- Brier score = mean of (p − outcome)² over the renewals: 0 is perfect, 0.25 is what
  always saying 50 % earns; lower is better.
- Called right = share of renewals where p ≥ 50 % and it was kept, or p < 50 % and it
  churned.
- Forecast ARR = Σ forecast ARR × p; outcome ARR = Σ the new period's ARR (0 when
  churned). Their gap says whether a forecaster is optimistic or cautious in money.

Health's predictive power
-------------------------
The churn rate of the closed renewals per colour band of the account's latest stored
health score on or before 90 days before the renewal date (the start of the renewal
window): if red accounts churn far more than green ones, the score warns in time.

One query reads the renewals with their stage-before-close and the two health values
(correlated subqueries on the indexed history and score tables), one more reads the
owners' names and teams; the sums are exact decimals added up in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import CharField, DateField, ExpressionWrapper, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from core.clock import local_zone
from core.people import name_from_parts
from health.models import Colour, HealthScore

from .models import CLOSED_STATUSES, OPEN_STATUSES, RenewalOpportunity, RenewalStatus, signal_probability_for
from .periods import add_months
from .selectors import renewal_scope

ZERO = Decimal("0")
ONE = Decimal("1")
CALL_THRESHOLD = Decimal("0.5")
HEALTH_HORIZON_DAYS = 90
KEPT_STATUSES = (RenewalStatus.RENEWED, RenewalStatus.DOWNGRADED)
GROUPINGS = ("company", "team", "csm")
NO_BAND = "none"


@dataclass(frozen=True)
class Sample:
    """One closed renewal as the figures see it."""

    p_csm: Decimal
    p_signal: Decimal
    own_call: bool
    kept: bool
    forecast: Decimal
    outcome: Decimal


@dataclass
class Accuracy:
    """Sums over some closed renewals; the rates are derived (None when there are none)."""

    renewals: int = 0
    own_calls: int = 0
    kept: int = 0
    csm_squared: Decimal = ZERO
    signal_squared: Decimal = ZERO
    csm_right: int = 0
    signal_right: int = 0
    csm_forecast_arr: Decimal = ZERO
    signal_forecast_arr: Decimal = ZERO
    outcome_arr: Decimal = ZERO

    def add(self, sample: Sample) -> None:
        result = ONE if sample.kept else ZERO
        self.renewals += 1
        self.own_calls += sample.own_call
        self.kept += sample.kept
        self.csm_squared += (sample.p_csm - result) ** 2
        self.signal_squared += (sample.p_signal - result) ** 2
        self.csm_right += (sample.p_csm >= CALL_THRESHOLD) == sample.kept
        self.signal_right += (sample.p_signal >= CALL_THRESHOLD) == sample.kept
        self.csm_forecast_arr += sample.forecast * sample.p_csm
        self.signal_forecast_arr += sample.forecast * sample.p_signal
        self.outcome_arr += sample.outcome

    def _mean(self, total: Decimal | int) -> Decimal | None:
        return None if not self.renewals else (Decimal(total) / self.renewals).quantize(Decimal("0.0001"))

    @property
    def csm_brier(self) -> Decimal | None:
        return self._mean(self.csm_squared)

    @property
    def signal_brier(self) -> Decimal | None:
        return self._mean(self.signal_squared)

    @property
    def csm_called_right(self) -> Decimal | None:
        return self._mean(self.csm_right)

    @property
    def signal_called_right(self) -> Decimal | None:
        return self._mean(self.signal_right)

    @property
    def csm_forecast_gap(self) -> Decimal:
        """Forecast minus outcome ARR: above 0 the CSMs were optimistic."""
        return (self.csm_forecast_arr - self.outcome_arr).quantize(Decimal("0.01"))


@dataclass
class AccuracyRow:
    key: str
    label: str
    total: Accuracy = field(default_factory=Accuracy)
    quarters: dict[date, Accuracy] = field(default_factory=dict)

    def quarter(self, first: date) -> Accuracy:
        return self.quarters.setdefault(first, Accuracy())


@dataclass
class BandRow:
    band: str
    label: str
    renewals: int = 0
    churned: int = 0
    arr: Decimal = ZERO
    churned_arr: Decimal = ZERO

    @property
    def churn_rate(self) -> Decimal | None:
        return None if not self.renewals else (Decimal(self.churned) / self.renewals).quantize(Decimal("0.0001"))

    @property
    def arr_churn_rate(self) -> Decimal | None:
        return None if not self.arr else (self.churned_arr / self.arr).quantize(Decimal("0.0001"))


@dataclass
class AccuracyReport:
    start: date
    end: date
    group_by: str
    rows: list[AccuracyRow]
    quarters: list[AccuracyRow]  # the whole scope per quarter (key = first day)
    bands: list[BandRow]
    total: Accuracy


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(first: date) -> str:
    return f"{first.year} Q{(first.month - 1) // 3 + 1}"


def _as_date(value: Any) -> date:
    if isinstance(value, str):  # SQLite hands annotated dates back as text
        return date.fromisoformat(value[:10])
    return value.date() if hasattr(value, "date") else value


def closed_renewal_facts(*, user: AnyUser, start: date, end: date) -> list[dict[str, Any]]:
    """The closed renewals due in ``[start, end]`` in ``user``'s scope, one dict each with
    what the figures need: one query."""
    history = RenewalOpportunity.history.model
    stage_before_close = (
        history.objects.filter(id=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by("-history_date", "-history_id")
        .values("status")[:1]
    )
    score_at_close = (
        HealthScore.objects.filter(account=OuterRef("account_id"), day__lte=OuterRef("closed_on"))
        .order_by("-day")
        .values("score")[:1]
    )
    colour_before = (
        HealthScore.objects.filter(account=OuterRef("account_id"), day__lte=OuterRef("horizon"))
        .order_by("-day")
        .values("colour")[:1]
    )
    return list(
        renewal_scope(user=user)
        .filter(status__in=CLOSED_STATUSES, due_date__gte=start, due_date__lte=end, closed_at__isnull=False)
        .annotate(
            closed_on=TruncDate("closed_at", tzinfo=local_zone()),
            horizon=ExpressionWrapper(F("due_date") - timedelta(days=HEALTH_HORIZON_DAYS), output_field=DateField()),
        )
        .annotate(
            stage_before=Coalesce(
                Subquery(stage_before_close), Value(RenewalStatus.OPEN.value), output_field=CharField()
            ),
            score_at_close=Subquery(score_at_close),
            colour_before=Subquery(colour_before),
        )
        .order_by()
        .values(
            "pk",
            "due_date",
            "status",
            "stage_before",
            "score_at_close",
            "colour_before",
            "override_probability",
            "forecast_arr",
            "outcome_arr",
            "contract__arr",
            "account__owner",
        )
    )


def _owners(ids: set[int]) -> dict[int, tuple[str, int | None, str]]:
    """Owner id -> (name, team id, team name): one query."""
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .values_list("pk", "first_name", "last_name", "username", "cs_profile__team", "cs_profile__team__name")
    )
    return {
        pk: (name_from_parts(first, last, username), team, team_name or "")
        for pk, first, last, username, team, team_name in rows
    }


def _group_of(group_by: str, owner: int | None, owners: dict[int, tuple[str, int | None, str]]) -> tuple[str, str]:
    if group_by == "company":
        return "all", _("Company")
    known = owners.get(owner) if owner is not None else None
    if group_by == "csm":
        return (str(owner), known[0]) if known else ("none", _("Unassigned"))
    if known and known[1] is not None:
        return str(known[1]), known[2]
    return "none", _("No team")


def _sample(row: dict[str, Any]) -> Sample:
    p_signal = signal_probability_for(row["stage_before"], row["score_at_close"])
    own_call = row["override_probability"] is not None
    return Sample(
        p_csm=Decimal(row["override_probability"]) if own_call else p_signal,
        p_signal=p_signal,
        own_call=own_call,
        kept=row["status"] in KEPT_STATUSES,
        forecast=Decimal(row["forecast_arr"]),
        outcome=Decimal(row["outcome_arr"] or 0),
    )


def forecast_accuracy(*, user: AnyUser, start: date, end: date, group_by: str = "csm") -> AccuracyReport:
    """The accuracy report of the renewals due in ``[start, end]`` that ``user`` may see."""
    if group_by not in GROUPINGS:
        raise ValueError(f"unknown grouping {group_by!r}")
    facts = closed_renewal_facts(user=user, start=start, end=end)
    owners = _owners({row["account__owner"] for row in facts} - {None}) if group_by != "company" else {}
    groups: dict[str, AccuracyRow] = {}
    quarters: dict[date, AccuracyRow] = {}
    total = Accuracy()
    bands = {key: BandRow(key, str(label)) for key, label in [*Colour.choices, (NO_BAND, _("No score yet"))]}
    for row in facts:
        sample = _sample(row)
        first = quarter_start(_as_date(row["due_date"]))
        key, label = _group_of(group_by, row["account__owner"], owners)
        group = groups.setdefault(key, AccuracyRow(key, str(label)))
        for accuracy in (group.total, group.quarter(first), total):
            accuracy.add(sample)
        quarters.setdefault(first, AccuracyRow(first.isoformat(), quarter_label(first))).total.add(sample)
        band = bands.get(row["colour_before"] or NO_BAND, bands[NO_BAND])
        band.renewals += 1
        band.arr += Decimal(row["contract__arr"])
        if not sample.kept:
            band.churned += 1
            band.churned_arr += Decimal(row["contract__arr"])
    return AccuracyReport(
        start=start,
        end=end,
        group_by=group_by,
        rows=sorted(groups.values(), key=lambda row: (row.key == "none", row.label.lower())),
        quarters=_all_quarters(quarters, start, end),
        bands=list(bands.values()),
        total=total,
    )


def _all_quarters(found: dict[date, AccuracyRow], start: date, end: date) -> list[AccuracyRow]:
    """Every quarter of the period, empty ones too, so the table reads as a time line."""
    rows = []
    first = quarter_start(start)
    while first <= end:
        rows.append(found.get(first) or AccuracyRow(first.isoformat(), quarter_label(first)))
        first = add_months(first, 3)
    return rows
