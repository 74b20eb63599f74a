"""Retention over the ARR in force (the ledger), per group, for the KPI page and API.

For a period the ledger reads whole months: from the month of its first day to the
month of its last. The **cohort** is the accounts with ARR in force at the end of the
month before (``start_arr`` > 0). For a group:

- NDR = (starting ARR + expansion + reactivation − contraction − churn) / starting ARR,
  movements of the cohort's accounts only; it equals the cohort's ARR at the period's
  end over its ARR at the start. Reactivation: a cohort account that churned and came
  back inside the period.
- GRR = (starting ARR − contraction − churn) / starting ARR, never above 100 %.
- Logo retention = cohort accounts with ARR at the period's end / cohort accounts.
- New ARR: accounts that had never had ARR, whatever the cohort.

Groups: the account's **owner at the period's start** keeps its figures for the whole
period (a mid-period reassignment moves nothing); team is that owner's team; segment is
that of the account's ARR at the start (new accounts: at the end). Zero starting ARR
gives ``None`` ("—"). Two queries: the figures (one aggregate) and the owners' names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import AnyUser
from accounts.models import IcpFit, Industry
from accounts.segments import Segment
from accounts.selectors import account_scope
from core.pg_tuning import aggregate_report

from .ledger_quarters import quarters_report, whole_quarters
from .ledger_sql import TELESCOPED, Bucket, cohort_report
from .periods import add_months

ZERO = Decimal("0")
ONE = Decimal("1")


@dataclass(frozen=True)
class LedgerFigure:
    key: str
    label: Any
    kind: str  # "count", "money" or "ratio"
    # The movements behind it: of the cohort (True), any account (None); of this kind.
    cohort: bool | None = True
    movement: str = ""


LEDGER_FIGURES: list[LedgerFigure] = [
    LedgerFigure("n_start", _("Accounts at start"), "count"),
    LedgerFigure("start_arr", _("Starting ARR"), "money"),
    LedgerFigure("expansion", _("Expansion"), "money", movement="expansion"),
    LedgerFigure("contraction", _("Contraction"), "money", movement="contraction"),
    LedgerFigure("churn", _("Churn"), "money", movement="churn"),
    LedgerFigure("reactivation", _("Reactivation"), "money", movement="reactivation"),
    LedgerFigure("end_arr", _("Their ARR at the end"), "money"),
    LedgerFigure("ndr", _("NDR"), "ratio"),
    LedgerFigure("grr", _("GRR"), "ratio"),
    LedgerFigure("logo_retention", _("Logo retention"), "ratio"),
    LedgerFigure("new", _("New ARR"), "money", cohort=None, movement="new"),
]


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class LedgerCell:
    figure: LedgerFigure
    value: Any
    query: str  # the movements list's query string for the movements behind it

    @property
    def percent(self) -> Decimal | None:
        return None if self.value is None else self.value * 100


@dataclass(frozen=True)
class LedgerRow:
    key: str
    label: str
    n_start: int = 0
    n_retained: int = 0
    start_arr: Decimal = ZERO
    end_arr: Decimal = ZERO
    expansion: Decimal = ZERO
    contraction: Decimal = ZERO
    churn: Decimal = ZERO
    reactivation: Decimal = ZERO
    new: Decimal = ZERO
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def ndr(self) -> Decimal | None:
        gained = self.start_arr + self.expansion + self.reactivation - self.contraction - self.churn
        return _ratio(gained, self.start_arr)

    @property
    def grr(self) -> Decimal | None:
        kept = _ratio(self.start_arr - self.contraction - self.churn, self.start_arr)
        return None if kept is None else min(kept, ONE)

    @property
    def logo_retention(self) -> Decimal | None:
        return _ratio(Decimal(self.n_retained), Decimal(self.n_start))

    @property
    def cells(self) -> list[LedgerCell]:
        cells = []
        for figure in LEDGER_FIGURES:
            params = dict(self.filters)
            if figure.cohort is not None:
                params["cohort"] = "in"
            if figure.movement:
                params["kind"] = figure.movement
            cells.append(LedgerCell(figure, getattr(self, figure.key), urlencode(params)))
        return cells


@dataclass(frozen=True)
class LedgerTable:
    start: date
    end: date
    group_by: str
    rows: list[LedgerRow]

    @property
    def by_figure(self) -> list[tuple[LedgerFigure, list[LedgerCell]]]:
        columns = [row.cells for row in self.rows]
        return [(figure, [cells[index] for cells in columns]) for index, figure in enumerate(LEDGER_FIGURES)]


def period_bucket(start: date, end: date) -> Bucket:
    """The ledger months of ``[start, end]``; owners are read at the first month's start."""
    first = start.replace(day=1)
    owners_at = timezone.make_aware(datetime.combine(first, time.min))
    return Bucket(first=first, last=end.replace(day=1), owners_at=owners_at)


def scope_sql(user: AnyUser) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL of the account ids ``user`` may see; None when that is every account."""
    accounts = account_scope(user=user)
    if not accounts.query.has_filters():
        return None
    sql, params = accounts.order_by().values("pk").query.sql_with_params()
    return sql, tuple(params)


def ledger_retention(*, user: AnyUser, start: date, end: date, group_by: str = "company") -> LedgerTable:
    """The ARR-in-force table of ``[start, end]`` over the accounts ``user`` may see."""
    return ledger_report(user=user, start=start, end=end, group_by=group_by, trend=False)[0]


@dataclass(frozen=True)
class LedgerTrend:
    """The rates per calendar quarter of the period (clipped to it): ``total`` over every
    account in scope, ``groups`` one line per group of the table, in the table's order."""

    labels: list[str]
    total: list[LedgerRow]
    groups: list[tuple[str, str, list[LedgerRow]]]


_TOTAL_ONLY = "\x00total"  # the group key of quarters computed for the total only


def quarter_buckets(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar quarters touching ``[start, end]``, each clipped to it."""
    quarters = []
    first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while first <= end:
        following = add_months(first, 3)
        quarters.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return quarters


def ledger_report(
    *, user: AnyUser, start: date, end: date, group_by: str = "company", trend: bool = True, cells: bool = False
) -> tuple[LedgerTable, LedgerTrend | None]:
    """The table of ``[start, end]`` and (``trend``) its quarters, from one query.

    The period and each quarter are buckets of one ``cohort_report``: every quarter has
    its own cohort (the accounts with ARR at its start), as the table's period has.
    ``cells``: the KPI page found the precomputed cells ready for ``user``
    (``kpi_facts.read.cube_rows``): whole quarters are summed from them.
    """
    quarters = quarter_buckets(start, end) if trend else []
    buckets = [period_bucket(start, end), *(period_bucket(first, last) for first, last in quarters)]
    report = _cells_report(user) if cells else None
    scope = scope_sql(user)

    def run(buckets: list[Bucket], group_by: str) -> list[dict[str, Any]]:
        return _report(buckets=buckets, group_by=group_by, scope=scope, cells=report)

    with aggregate_report():
        if group_by in TELESCOPED or not quarters:
            found = run(buckets, group_by)
        else:
            # By owner at each start every account's ledger is read per bucket: the
            # quarters get the visible accounts' total only (one line per chart).
            found = run(buckets[:1], group_by)
            found += [
                {**values, "group_key": _TOTAL_ONLY, "bucket": values["bucket"] + 1}
                for values in run(buckets[1:], "company")
            ]
    labels = _labels(group_by, {row["group_key"] for row in found} - {_TOTAL_ONLY})
    base = {"start": start.isoformat(), "end": end.isoformat(), "group_by": group_by}
    table = LedgerTable(
        start=start,
        end=end,
        group_by=group_by,
        rows=_rows(group_by, [v for v in found if v["bucket"] == 0], labels, base),
    )
    if not trend:
        return table, None
    totals = [LedgerRow(key=first.isoformat(), label=_quarter_label(first)) for first, _last in quarters]
    per_group: dict[str, list[LedgerRow]] = {
        row.key: [LedgerRow(key=row.key, label=row.label) for _quarter in quarters] for row in table.rows
    }
    for values in found:
        if values["bucket"] == 0:
            continue
        index = values["bucket"] - 1
        totals[index] = _added(totals[index], values)
        if values["group_key"] == _TOTAL_ONLY:
            continue
        key, label = labels[values["group_key"]]
        line = per_group.setdefault(key, [LedgerRow(key=key, label=label) for _quarter in quarters])
        line[index] = _added(line[index], values)
    names = {row.key: row.label for row in table.rows}
    groups = [(key, names.get(key, line[0].label), line) for key, line in per_group.items()]
    if group_by not in TELESCOPED:
        groups = []
    return table, LedgerTrend(labels=[row.label for row in totals], total=totals, groups=groups)


def _cells_report(user: AnyUser) -> Any:
    from .kpi_facts.ledger_cells import cells_report
    from .kpi_facts.read import ledger_scope_sql

    cell_scope = ledger_scope_sql(user)
    return lambda **kwargs: cells_report(scope=cell_scope, **kwargs)


def _report(
    *, buckets: list[Bucket], group_by: str, scope: tuple[str, tuple[Any, ...]] | None, cells: Any = None
) -> list[dict[str, Any]]:
    """The cohort report from the quarter rows when every bucket is whole ended quarters
    (``ledger_quarters.whole_quarters``), else from the movements: the same figures.
    ``cells``: the precomputed cells' report, for whole quarters (the scope is its own)."""
    today = timezone.localdate()
    if all(whole_quarters(bucket.first, bucket.last, today) for bucket in buckets):
        # Every account's company figures: the quarter totals are fewer rows than the cells.
        if cells is not None and not (scope is None and group_by == "company"):
            return list(cells(buckets=buckets, group_by=group_by))
        return quarters_report(buckets=buckets, group_by=group_by, scope=scope)
    return cohort_report(buckets=buckets, group_by=group_by, scope=scope)


def _quarter_label(first: date) -> str:
    return f"{first.year} Q{(first.month - 1) // 3 + 1}"


def _rows(
    group_by: str, found: list[dict[str, Any]], labels: dict[Any, tuple[str, str]], base: dict[str, str]
) -> list[LedgerRow]:
    groups: dict[str, LedgerRow] = {}
    for values in found:
        key, label = labels[values["group_key"]]
        row = groups.get(key) or LedgerRow(key=key, label=label, filters={**base, "group": key})
        groups[key] = _added(row, values)
    rows = list(groups.values())
    if group_by == "icp_fit":
        present = {row.key for row in rows}
        rows += [
            LedgerRow(key=fit, label=str(IcpFit(fit).label), filters={**base, "group": fit})
            for fit in IcpFit.values
            if fit not in present
        ]
        order = {fit: index for index, fit in enumerate(IcpFit.values)}
        rows.sort(key=lambda row: order.get(row.key, len(order)))
    elif group_by == "company" and not rows:
        rows = [LedgerRow(key="all", label=str(_("Company")), filters={**base, "group": "all"})]
    else:
        rows.sort(key=lambda row: (row.key == "none", row.label.lower()))
    return rows


_SUMMED = ("n_start", "n_retained", "start_arr", "end_arr", "expansion", "contraction", "churn", "reactivation", "new")


def _added(row: LedgerRow, values: dict[str, Any]) -> LedgerRow:
    changes = {name: getattr(row, name) + values[name] for name in _SUMMED}
    return LedgerRow(key=row.key, label=row.label, filters=row.filters, **changes)


def _labels(group_by: str, keys: set[Any]) -> dict[Any, tuple[str, str]]:
    """Each SQL group key's (row key, label); team and CSM look the owners up (one query)."""
    if group_by == "company":
        return {key: ("all", str(_("Company"))) for key in keys}
    if group_by in ("csm", "team"):
        return _owner_labels(group_by, keys)
    if group_by == "segment":
        return {key: (key, str(Segment(key).label)) for key in keys}
    choices = Industry if group_by == "industry" else IcpFit
    return {key: (key, str(choices(key).label) if key in choices.values else key) for key in keys}


def _owner_labels(group_by: str, keys: set[Any]) -> dict[Any, tuple[str, str]]:
    from .kpi_owners import owner_rows

    owners = owner_rows(keys)
    labels: dict[Any, tuple[str, str]] = {}
    for key in keys:
        owner = owners.get(key)
        if group_by == "csm":
            if owner is None:
                labels[key] = ("none", str(_("Unassigned")))
            else:
                name = f"{owner['first_name']} {owner['last_name']}".strip()
                labels[key] = (str(key), name or owner["username"])
        elif owner is None or owner["cs_profile__team"] is None:
            labels[key] = ("none", str(_("No team")))
        else:
            labels[key] = (str(owner["cs_profile__team"]), owner["cs_profile__team__name"])
    return labels


def group_owner_keys(group_by: str, key: str) -> list[Any]:
    """The SQL group keys (owner ids, None for no owner) of one team or CSM row key."""
    if group_by == "csm":
        return [None] if key == "none" else [int(key)]
    users = get_user_model().objects
    if key == "none":
        return [None, *users.filter(cs_profile__team__isnull=True).values_list("pk", flat=True)]
    return list(users.filter(cs_profile__team=int(key)).values_list("pk", flat=True))
