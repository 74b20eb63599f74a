"""Retention KPIs over a period, grouped by company, team, CSM, segment, industry or ICP fit.

Which renewals count
--------------------
A renewal belongs to the period ``[start, end]`` (both days included) when its
**due date** — the end date of the contract it renews — falls within it. When the
contract started does not matter: a short contract that starts mid-period and ends
before ``end`` counts; the next period a renewal opens (starting the day after the due
date) is not due in the same period unless it also ends inside it. Only renewals of
accounts in the caller's scope (``account_scope``) count.

*Previous ARR* is the ARR of the contract being renewed; *outcome ARR* is the ARR of
the new period (0 when churned).

Figures of one group
--------------------
- ``due``: renewals due in the period; ``closed``: those of them closed (renewed,
  downgraded or churned); ``open``: those still open, at risk or committed. Open renewals
  have no outcome yet, so every rate below is over the **closed** renewals only.
- ``beginning_arr``: previous ARR of the closed renewals (the revenue up for renewal).
- ``upgrade_arr``: Σ max(outcome − previous, 0) over renewed and downgraded.
- ``downgrade_arr``: Σ max(previous − outcome, 0) over renewed and downgraded.
- ``churned_arr``: Σ previous ARR of the churned renewals.
- ``grr`` (gross revenue retention) = (beginning − downgrades − churn) / beginning.
- ``ndr`` (net dollar retention, seed 004) = (beginning + upgrades − downgrades − churn)
  / beginning.
- ``logo_renewal_rate`` = (renewed + downgraded) / closed — the count-based rate that
  keeps many small churns visible behind a few big renewals (domain §5).
- ``revenue_renewal_rate_pure`` = Σ min(outcome, previous) over renewed and downgraded
  / beginning: expansion does not count.
- ``revenue_renewal_rate_expansion`` = Σ outcome over renewed and downgraded /
  beginning: expansion counts.

Over one cohort of closed renewals the pure revenue rate equals GRR and the expansion
rate equals NDR; both names are shown because finance speaks of the first pair and
seed 004 of the second. A rate whose denominator is 0 (nothing closed, or only zero-ARR
contracts) is ``None``, shown as "—", never a division error.

The whole table is one aggregate query (``values().annotate()``), whatever the number
of renewals or groups. The KPI page asks ``retention_report`` for the table *and* the
quarterly trend: one query grouped by group and quarter, added up in Python both ways
(counts and exact decimal sums, so the figures are those of the two separate queries).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import BooleanField, Case, Count, DateField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.access import AnyUser
from accounts.models import IcpFit, Industry
from accounts.segments import Segment, segment_bands
from core.pg_tuning import aggregate_report

from .models import CLOSED_STATUSES, OPEN_STATUSES, RenewalOpportunity, RenewalStatus
from .periods import add_months
from .selectors import MONEY, renewal_scope

ZERO = Decimal("0")
KEPT_STATUSES = (RenewalStatus.RENEWED, RenewalStatus.DOWNGRADED)

GROUP_BY_CHOICES: list[tuple[str, Any]] = [
    ("company", _("Company")),
    ("team", _("Team")),
    ("csm", _("CSM")),
    ("segment", _("Segment")),
    ("industry", _("Industry")),
    ("icp_fit", _("ICP fit")),
]
GROUP_BY_KEYS = [key for key, _label in GROUP_BY_CHOICES]

# The ORM path each grouping reads; team goes through the owner's profile so that
# renewals never imports capacity (tests/test_layering.py).
_GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "company": (),
    "team": ("account__owner__cs_profile__team", "account__owner__cs_profile__team__name"),
    "csm": (
        "account__owner",
        "account__owner__username",
        "account__owner__first_name",
        "account__owner__last_name",
    ),
    "segment": ("kpi_segment",),
    "industry": ("account__industry",),
    "icp_fit": ("account__icp_fit",),
}


@dataclass(frozen=True)
class Figure:
    key: str
    label: Any
    kind: str  # "count", "money" or "ratio"
    # The renewals behind the figure: those due in the period with these statuses.
    statuses: tuple[str, ...] = ()


FIGURES: list[Figure] = [
    Figure("due", _("Due"), "count"),
    Figure("closed", pgettext_lazy("count", "Closed"), "count", CLOSED_STATUSES),
    Figure("open", pgettext_lazy("count", "Open"), "count", OPEN_STATUSES),
    Figure("beginning_arr", _("ARR up for renewal"), "money", CLOSED_STATUSES),
    Figure("upgrade_arr", _("Upgrades"), "money", KEPT_STATUSES),
    Figure("downgrade_arr", _("Downgrades"), "money", KEPT_STATUSES),
    Figure("churned_arr", _("Churned ARR"), "money", (RenewalStatus.CHURNED,)),
    Figure("grr", _("GRR"), "ratio", CLOSED_STATUSES),
    Figure("ndr", _("NDR"), "ratio", CLOSED_STATUSES),
    Figure("logo_renewal_rate", _("Logo renewal rate"), "ratio", CLOSED_STATUSES),
    Figure("revenue_renewal_rate_pure", _("Revenue renewal rate (pure)"), "ratio", CLOSED_STATUSES),
    Figure("revenue_renewal_rate_expansion", _("Revenue renewal rate (with expansion)"), "ratio", CLOSED_STATUSES),
]


@dataclass(frozen=True)
class Cell:
    figure: Figure
    value: Any
    query: str  # the renewals list's query string for the renewals behind the value

    @property
    def percent(self) -> Decimal | None:
        return None if self.value is None else self.value * 100


def default_period(today: date) -> tuple[date, date]:
    """The last four full quarters before ``today``'s quarter."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return add_months(quarter_start, -12), quarter_start - timedelta(days=1)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class KpiRow:
    """The figures of one group. ``key`` is the value to filter the renewals list by."""

    key: str
    label: str
    due: int = 0
    closed: int = 0
    open: int = 0
    renewed_count: int = 0
    churned_count: int = 0
    beginning_arr: Decimal = ZERO
    upgrade_arr: Decimal = ZERO
    downgrade_arr: Decimal = ZERO
    churned_arr: Decimal = ZERO
    kept_arr: Decimal = ZERO
    kept_capped_arr: Decimal = ZERO
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def cells(self) -> list[Cell]:
        cells = []
        for figure in FIGURES:
            params: dict[str, Any] = dict(self.filters)
            if figure.statuses:
                params["status"] = list(figure.statuses)
            cells.append(Cell(figure=figure, value=getattr(self, figure.key), query=urlencode(params, doseq=True)))
        return cells

    @property
    def grr(self) -> Decimal | None:
        return _ratio(self.beginning_arr - self.downgrade_arr - self.churned_arr, self.beginning_arr)

    @property
    def ndr(self) -> Decimal | None:
        return _ratio(self.beginning_arr + self.upgrade_arr - self.downgrade_arr - self.churned_arr, self.beginning_arr)

    @property
    def logo_renewal_rate(self) -> Decimal | None:
        return _ratio(Decimal(self.renewed_count), Decimal(self.closed))

    @property
    def revenue_renewal_rate_pure(self) -> Decimal | None:
        return _ratio(self.kept_capped_arr, self.beginning_arr)

    @property
    def revenue_renewal_rate_expansion(self) -> Decimal | None:
        return _ratio(self.kept_arr, self.beginning_arr)


@dataclass(frozen=True)
class KpiTable:
    start: date
    end: date
    group_by: str
    rows: list[KpiRow]

    @property
    def by_figure(self) -> list[tuple[Figure, list[Cell]]]:
        """The table turned: one line per figure, one column per group (ICP fit side by side)."""
        columns = [row.cells for row in self.rows]
        return [(figure, [cells[index] for cells in columns]) for index, figure in enumerate(FIGURES)]


def _aggregates() -> dict[str, Any]:
    """Counts and four sums per group; ``_row`` derives the other sums from them exactly.

    Over the kept renewals, outcome − previous = upgrade − downgrade and
    min(outcome, previous) = previous − downgrade; closed = kept + churned. So
    beginning, kept and kept-capped need no sums of their own (fewer numeric
    aggregates over every renewal of the period).
    """
    previous = F("contract__arr")
    outcome = Coalesce(F("outcome_arr"), previous, output_field=MONEY)
    kept = Q(status__in=KEPT_STATUSES)
    closed = Q(status__in=CLOSED_STATUSES)
    zero = Value(ZERO, output_field=MONEY)

    def money(expression: Any, condition: Q) -> Coalesce:
        return Coalesce(Sum(expression, filter=condition, output_field=MONEY), zero, output_field=MONEY)

    return {
        "n_due": Count("pk"),
        "n_closed": Count("pk", filter=closed),
        "n_open": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        "n_kept": Count("pk", filter=kept),
        "n_churned": Count("pk", filter=Q(status=RenewalStatus.CHURNED)),
        "kept_previous": money(previous, kept),
        "upgrades": money(Greatest(outcome - previous, zero, output_field=MONEY), kept),
        "downgrades": money(Greatest(previous - outcome, zero, output_field=MONEY), kept),
        "churn": money(previous, Q(status=RenewalStatus.CHURNED)),
    }


def _label_and_filters(group_by: str, row: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    if group_by == "company":
        return "all", str(_("Company")), {}
    if group_by == "team":
        pk = row["account__owner__cs_profile__team"]
        if pk is None:
            return "none", str(_("No team")), {"team": "none"}
        return str(pk), row["account__owner__cs_profile__team__name"], {"team": str(pk)}
    if group_by == "csm":
        pk = row["account__owner"]
        if pk is None:
            return "none", str(_("Unassigned")), {"unowned": "true"}
        name = f"{row['account__owner__first_name']} {row['account__owner__last_name']}".strip()
        return str(pk), name or row["account__owner__username"], {"owner": str(pk)}
    if group_by == "segment":
        key = row["kpi_segment"]
        return key, str(Segment(key).label), {"segment": key}
    if group_by == "industry":
        key = row["account__industry"]
        label = str(Industry(key).label) if key in Industry.values else key
        return key, label, {"industry": key}
    key = row["account__icp_fit"]
    label = str(IcpFit(key).label) if key in IcpFit.values else key
    return key, label, {"icp_fit": key}


def _row(group_by: str, values: dict[str, Any], start: date, end: date) -> KpiRow:
    key, label, filters = _label_and_filters(group_by, values)
    kept_previous, churn = Decimal(values["kept_previous"]), Decimal(values["churn"])
    upgrades, downgrades = Decimal(values["upgrades"]), Decimal(values["downgrades"])
    return KpiRow(
        key=key,
        label=label,
        due=values["n_due"],
        closed=values["n_closed"],
        open=values["n_open"],
        renewed_count=values["n_kept"],
        churned_count=values["n_churned"],
        beginning_arr=kept_previous + churn,
        upgrade_arr=upgrades,
        downgrade_arr=downgrades,
        churned_arr=churn,
        kept_arr=kept_previous + upgrades - downgrades,
        kept_capped_arr=kept_previous - downgrades,
        filters={"due_from": start.isoformat(), "due_to": end.isoformat(), **filters},
    )


def renewals_due(*, renewals: QuerySet[RenewalOpportunity], start: date, end: date) -> QuerySet[RenewalOpportunity]:
    return renewals.filter(due_date__gte=start, due_date__lte=end)


def _grouped(*, user: AnyUser, start: date, end: date, group_by: str) -> QuerySet[RenewalOpportunity]:
    if group_by not in _GROUP_FIELDS:
        raise ValueError(f"unknown grouping {group_by!r}")
    renewals = renewals_due(renewals=renewal_scope(user=user), start=start, end=end).order_by()
    if group_by == "segment":
        renewals = renewals.annotate(**_segment_bounds())
    return renewals


def _segment_bounds() -> dict[str, ExpressionWrapper]:
    """``kpi_band_<i>``: whether the account's ARR reaches the lower bound of the i-th
    segment (the lowest has none), for grouping by segment.

    Grouped by ``segment_case`` instead, PostgreSQL cannot tell that the ``CASE`` over
    ARR has a handful of values: it plans a group per account, sorting every renewal
    (spilling to disk) instead of hashing a few groups. It counts at most two values
    for a boolean, so these group cheaply; ``_segment_of`` names the segment after.
    """
    bands = segment_bands()
    return {
        f"kpi_band_{index}": ExpressionWrapper(Q(account__arr__gte=lower), output_field=BooleanField())
        for index, (_key, lower) in enumerate(bands[:-1])
    }


def _segment_of(values: dict[str, Any]) -> str:
    """The segment of a row grouped by ``_segment_bounds`` (its band columns removed):
    the highest band whose lower bound the ARR reaches, as ``segment_case`` gives it."""
    bands = segment_bands()
    reached = [values.pop(f"kpi_band_{index}") for index in range(len(bands) - 1)]
    return next((key for (key, _lower), hit in zip(bands, reached, strict=False) if hit), bands[-1][0])


def retention_kpis(*, user: AnyUser, start: date, end: date, group_by: str = "company") -> KpiTable:
    """The KPI table of the renewals due in ``[start, end]`` that ``user`` may see."""
    return retention_report(user=user, start=start, end=end, group_by=group_by)[0]


def _table(group_by: str, results: Iterable[dict[str, Any]], start: date, end: date) -> KpiTable:
    rows = [_row(group_by, values, start, end) for values in results if values["n_due"]]
    if group_by == "icp_fit":
        # Target and exploratory are always shown side by side, even when one is empty.
        present = {row.key for row in rows}
        rows += [_row(group_by, _empty(fit), start, end) for fit in IcpFit.values if fit not in present]
        order = {fit: index for index, fit in enumerate(IcpFit.values)}
        rows.sort(key=lambda row: order.get(row.key, len(order)))
    elif group_by == "company" and not rows:
        rows = [_row(group_by, _empty(None), start, end)]
    else:
        rows.sort(key=lambda row: (row.key == "none", row.label.lower()))
    return KpiTable(start=start, end=end, group_by=group_by, rows=rows)


def _empty(icp_fit: str | None) -> dict[str, Any]:
    return {
        "account__icp_fit": icp_fit,
        "n_due": 0,
        "n_closed": 0,
        "n_open": 0,
        "n_kept": 0,
        "n_churned": 0,
        "kept_previous": ZERO,
        "upgrades": ZERO,
        "downgrades": ZERO,
        "churn": ZERO,
    }


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarter(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def retention_trend(*, user: AnyUser, start: date, end: date) -> list[KpiRow]:
    """The company's figures per calendar quarter of ``[start, end]`` (clipped to it).

    One aggregate query; quarters with nothing due are there with empty figures, so a
    trend chart has no holes in its axis.
    """
    return retention_report(user=user, start=start, end=end)[1]


def _quarter_of_due_date(start: date, end: date) -> Case:
    """The first day of the due date's quarter, for the due dates in ``[start, end]``.

    Comparisons with the few quarter boundaries of the period: cheaper per renewal than
    ``date_trunc`` (which goes through a time-zone-aware timestamp on PostgreSQL).
    """
    whens = []
    first = quarter_start(start)
    while (following := add_months(first, 3)) <= end:
        whens.append(When(due_date__lt=following, then=Value(first)))
        first = following
    return Case(*whens, default=Value(first), output_field=DateField())


_SUMMED = tuple(key for key in _empty(None) if key != "account__icp_fit")


def _add(total: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` added to ``total`` figure by figure (ints and exact decimals)."""
    if total is None:
        return dict(values)
    for key in _SUMMED:
        total[key] += values[key]
    return total


def retention_report(
    *, user: AnyUser, start: date, end: date, group_by: str = "company", cube: Any = None
) -> tuple[KpiTable, list[KpiRow]]:
    """``retention_kpis`` and ``retention_trend`` together, from one aggregate query.

    The renewals are grouped by the grouping's fields *and* the quarter; the table adds
    up each group's quarters, the trend each quarter's groups. The figures are sums and
    counts, so they come out exactly as from the two separate queries, for the cost of
    one pass over the renewals instead of two. ``cube``: the KPI cells read for the page
    (``kpi_facts.cube_rows``), used instead when the period is whole quarters.
    """
    fields = _GROUP_FIELDS.get(group_by, ())
    results = None
    if cube is not None:
        from .kpi_facts.read import renewal_results

        results = renewal_results(cube, start=start, end=end)
    if results is None:
        results = _direct_results(user=user, start=start, end=end, group_by=group_by)
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    quarters: dict[date, dict[str, Any]] = {}
    for values in results:
        group = tuple(values[name] for name in fields)
        groups[group] = _add(groups.get(group), values)
        quarter = _quarter(values["quarter"])
        quarters[quarter] = _add(quarters.get(quarter), values)
    table = _table(group_by, groups.values() if fields else [groups.get((), _empty(None))], start, end)
    return table, _trend(quarters, start, end)


def _direct_results(*, user: AnyUser, start: date, end: date, group_by: str) -> list[dict[str, Any]]:
    """The aggregate over the renewals due in the period: per group fields and quarter."""
    renewals = _grouped(user=user, start=start, end=end, group_by=group_by)
    fields = _GROUP_FIELDS[group_by]
    by_owner = group_by in ("team", "csm")
    # Team and CSM: group by the owner's id alone and look the names and teams up after,
    # so the big aggregate neither joins the user tables nor sorts by their text columns.
    sql_fields = ("account__owner",) if by_owner else fields
    if group_by == "segment":
        sql_fields = tuple(_segment_bounds())
    with aggregate_report():  # the planner cannot tell how few (group, quarter) pairs there are
        results: list[dict[str, Any]] = list(
            renewals.annotate(quarter=_quarter_of_due_date(start, end))
            .values(*sql_fields, "quarter")
            .annotate(**_aggregates())
        )
    if group_by == "segment":
        for values in results:
            values["kpi_segment"] = _segment_of(values)
    if by_owner:
        owners = _owners({values["account__owner"] for values in results} - {None})
        for values in results:
            values.update(owners.get(values["account__owner"], _NO_OWNER))
    return results


_NO_OWNER: dict[str, Any] = {
    "account__owner__username": None,
    "account__owner__first_name": None,
    "account__owner__last_name": None,
    "account__owner__cs_profile__team": None,
    "account__owner__cs_profile__team__name": None,
}


def _owners(ids: set[int]) -> dict[int, dict[str, Any]]:
    """The owners' names and teams, keyed as the grouped values name them: one query."""
    from .kpi_owners import owner_rows

    return {
        pk: {f"account__owner__{name}": value for name, value in row.items()} for pk, row in owner_rows(ids).items()
    }


def _trend(found: dict[date, dict[str, Any]], start: date, end: date) -> list[KpiRow]:
    rows: list[KpiRow] = []
    first = quarter_start(start)
    while first <= end:
        last = add_months(first, 3) - timedelta(days=1)
        values = found.get(first) or _empty(None)
        row = _row("company", values, max(first, start), min(last, end))
        rows.append(replace(row, key=first.isoformat(), label=f"{first.year} Q{(first.month - 1) // 3 + 1}"))
        first = add_months(first, 3)
    return rows
