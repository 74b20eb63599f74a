"""Initial activation rate and the book's active rate, per quarter and group (KPI page).

Definitions (domain.md §5; the per-CSM "today" figures of the team page use the same
criteria):

- **Initial activation rate** (初期成功激活率) of a quarter: of the accounts whose
  go-live date falls in the quarter, the share that reached the activation criterion
  within ``HOURGLASS_ACTIVATION_DAYS`` days of go-live (the go-live day and the N−1 days
  after it). The criterion: when the account's seats are known (the sum of its
  purchased products' seats is > 0), some day in that window had daily active users
  ≥ ``HOURGLASS_ACTIVATION_MIN_ACTIVE_SHARE`` × seats; otherwise any usage (an event)
  in the window. The window may run past the quarter's end (or past today: an account
  that went live last week is counted as not yet activated).
- **Active rate** (所属客户活跃率) of a quarter: accounts with usage (an event) in the
  last ``ACTIVE_DAYS`` days of the quarter, over the accounts live at the quarter's end
  (go-live date on or before it).

Accounts churned now are left out of both; accounts without a go-live date are never
live. Groups are the account's current owner (CSM, and that owner's team), its current
ARR's segment, industry and ICP fit. Only the accounts the user may see count.

One query whatever the book's size or grouping (owners' and teams' names included): the
accounts grouped by go-live quarter (those that went live earlier in one more bucket,
so live counts are running sums), with per quarter the count of those active in it.
Activation is tested only for the accounts that went live in the quarters shown, and
activity by one index probe per account and quarter, so the cost follows the accounts
in scope, not the rollup rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.models import Account, AccountStatus, IcpFit, PurchasedProduct
from accounts.segments import segment_case
from accounts.selectors import account_scope
from core.charts import ChartSpec, Series, line_chart
from health.models import DailyRollup

from .charts import period_label
from .kpis import _GROUP_FIELDS, _label_and_filters, quarter_start
from .periods import add_months

ACTIVE_DAYS = 30
BEFORE = -1  # the go-live bucket of accounts live before the first quarter shown


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


@dataclass(frozen=True)
class AdoptionCell:
    quarter: date
    launched: int = 0
    activated: int = 0
    live: int = 0
    active: int = 0

    @property
    def activation_rate(self) -> Decimal | None:
        return _share(self.activated, self.launched)

    @property
    def active_rate(self) -> Decimal | None:
        return _share(self.active, self.live)

    @property
    def activation_percent(self) -> Decimal | None:
        rate = self.activation_rate
        return None if rate is None else rate * 100

    @property
    def active_percent(self) -> Decimal | None:
        rate = self.active_rate
        return None if rate is None else rate * 100


@dataclass(frozen=True)
class AdoptionRow:
    key: str
    label: str
    cells: list[AdoptionCell] = field(default_factory=list)


@dataclass(frozen=True)
class AdoptionTable:
    quarters: list[date]
    group_by: str
    rows: list[AdoptionRow]
    total: list[AdoptionCell]  # every group together, per quarter (the trend)

    @property
    def labels(self) -> list[str]:
        return [period_label(quarter, "quarter") for quarter in self.quarters]

    @property
    def colspan(self) -> int:
        return 1 + 2 * len(self.quarters)


def quarters_of(start: date, end: date) -> list[date]:
    """The first days of the quarters that ``[start, end]`` touches."""
    quarters, current = [], quarter_start(start)
    while current <= end:
        quarters.append(current)
        current = add_months(current, 3)
    return quarters


def _quarter_end(quarter: date) -> date:
    return add_months(quarter, 3) - timedelta(days=1)


def _group_columns(group_by: str, prefix: str) -> dict[str, Any]:
    """Columns ``g0``, ``g1``… holding the KPI grouping's values of an account reached via
    ``prefix`` (the names ``kpis._label_and_filters`` reads, in ``_GROUP_FIELDS`` order)."""
    columns: dict[str, Any] = {}
    for index, name in enumerate(_GROUP_FIELDS[group_by]):
        if name == "kpi_segment":
            columns[f"g{index}"] = segment_case(f"{prefix}arr")
        else:
            columns[f"g{index}"] = F(prefix + name.removeprefix("account__"))
    return columns


def _activated(days: int, share: float, since: date | None) -> Case:
    """Whether an account that went live on or after ``since`` reached the activation
    criterion in its first ``days`` days (False for the accounts live before: they are
    only counted, so their rollups and seats are never read). ``since`` None: every
    account is tested (the KPI facts' build)."""
    window = DailyRollup.objects.filter(
        account=OuterRef("pk"),
        day__gte=OuterRef("go_live_date"),
        # ``<=`` go-live + (N − 1) days: SQLite compares the sum as text "YYYY-MM-DD 00:00:00".
        day__lte=OuterRef("go_live_date") + timedelta(days=days - 1),
    )
    needed = ExpressionWrapper(OuterRef("adoption_seats") * Value(share), output_field=FloatField())
    whens = [When(go_live_date__lt=since, then=Value(False))] if since is not None else []
    return Case(
        *whens,
        When(adoption_seats__gt=0, then=Exists(window.filter(active_users__gte=needed))),
        default=Exists(window.filter(events__gt=0)),
    )


def seats_subquery() -> Subquery:
    """The sum of an account's purchased products' seats (NULL when it has none)."""
    seats = (
        PurchasedProduct.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("seats"))
        .values("total")
    )
    return Subquery(seats, output_field=IntegerField())


def activation_criterion() -> tuple[int, float]:
    """The activation window in days and the share of seats active that it asks for."""
    return settings.HOURGLASS_ACTIVATION_DAYS, float(settings.HOURGLASS_ACTIVATION_MIN_ACTIVE_SHARE)


def _active_in(quarter: date) -> Q:
    """Live at the quarter's end and used (an event) in its last ``ACTIVE_DAYS`` days.

    One probe of the rollups' (account, day) index per account and quarter: its cost
    follows the number of accounts, not the number of rollup rows in the windows.
    """
    end = _quarter_end(quarter)
    used = DailyRollup.objects.filter(
        account=OuterRef("pk"), day__gte=end - timedelta(days=ACTIVE_DAYS - 1), day__lte=end, events__gt=0
    )
    return Q(go_live_date__lte=end) & Q(Exists(used))


def _figures(accounts: QuerySet[Account], quarters: list[date], group_by: str) -> list[dict[str, Any]]:
    """Both figure sets in one aggregate over the accounts, per group and go-live bucket:
    ``n`` accounts that went live in the bucket, ``n_activated`` of them activated (only
    for the buckets of the quarters shown) and ``active_<i>`` of them active in quarter i."""
    days, share = activation_criterion()
    bucket = Case(
        *[
            When(go_live_date__gte=quarter, go_live_date__lte=_quarter_end(quarter), then=Value(index))
            for index, quarter in enumerate(quarters)
        ],
        default=Value(BEFORE),
        output_field=IntegerField(),
    )
    columns = _group_columns(group_by, "")
    actives = {f"active_{index}": Count("pk", filter=_active_in(quarter)) for index, quarter in enumerate(quarters)}
    return list(
        accounts.filter(go_live_date__lte=_quarter_end(quarters[-1]))
        .annotate(adoption_seats=seats_subquery())
        .annotate(activated=_activated(days, share, quarters[0]))
        .annotate(adoption_quarter=bucket, **columns)
        .values("adoption_quarter", *columns)
        .annotate(n=Count("pk"), n_activated=Count("pk", filter=Q(activated=True)), **actives)
        .order_by()
    )


def adoption_report(
    *, user: AnyUser, start: date, end: date, group_by: str = "company", cube: Any = None
) -> AdoptionTable:
    """Activation and active rates of the quarters touching ``[start, end]``, per group.

    ``cube``: the KPI cells read for the page (``kpi_facts.cube_rows``), used instead of
    the aggregate over the accounts (the same figures)."""
    quarters = quarters_of(start, end)
    if cube is not None:
        from .kpi_facts.read import adoption_results

        found = adoption_results(cube, quarters=quarters)
    else:
        accounts = account_scope(user=user).exclude(status=AccountStatus.CHURNED).order_by()
        found = _figures(accounts, quarters, group_by)
    names = _GROUP_FIELDS[group_by]

    # Per row key and quarter index: [launched, activated, went live, active].
    figures: dict[str, dict[int, list[int]]] = {}
    row_labels: dict[str, str] = {}
    for values in found:
        key, label, _filters = _label_and_filters(
            group_by, {name: values[f"g{index}"] for index, name in enumerate(names)}
        )
        row_labels[key] = label
        per_quarter = figures.setdefault(key, {})
        counts = per_quarter.setdefault(values["adoption_quarter"], [0, 0, 0, 0])
        counts[0] += values["n"]
        counts[1] += values["n_activated"]
        for index in range(len(quarters)):
            # Active accounts are counted in the quarter they are active in, whatever
            # quarter they went live in.
            per_quarter.setdefault(index, [0, 0, 0, 0])[3] += values[f"active_{index}"]

    def cells(per_quarter: dict[int, list[int]]) -> list[AdoptionCell]:
        live = per_quarter.get(BEFORE, [0])[0]
        result = []
        for index, quarter in enumerate(quarters):
            launched, activated, _live, active = per_quarter.get(index, [0, 0, 0, 0])
            live += launched
            result.append(AdoptionCell(quarter, launched, activated, live, active))
        return result

    rows = [AdoptionRow(key, row_labels[key], cells(per_quarter)) for key, per_quarter in figures.items()]
    if group_by == "icp_fit":
        order = {fit: index for index, fit in enumerate(IcpFit.values)}
        rows.sort(key=lambda row: order.get(row.key, len(order)))
    else:
        rows.sort(key=lambda row: (row.key == "none", row.label.lower()))
    everything: dict[int, list[int]] = {}
    for per_quarter in figures.values():
        for index, counts in per_quarter.items():
            total = everything.setdefault(index, [0, 0, 0, 0])
            for position, value in enumerate(counts):
                total[position] += value
    return AdoptionTable(quarters=quarters, group_by=group_by, rows=rows, total=cells(everything))


def adoption_charts(table: AdoptionTable) -> list[ChartSpec]:
    """The initial activation rate and the active rate per quarter, one chart each.

    Grouped, a line per group of the table and the visible accounts together dashed;
    a quarter with nothing to divide by is a gap in its line, never left off the axis.
    """
    charts = []
    for name, title, label in (
        ("activation_rate", _("Initial activation rate per quarter"), _("Initial activation rate")),
        ("active_rate", _("Active rate per quarter"), _("Active rate")),
    ):
        total = [getattr(cell, name) for cell in table.total]
        if table.group_by == "company":
            series = [Series(label, total, colour="purple" if name == "activation_rate" else "teal")]
        else:
            series = [Series(row.label, [getattr(cell, name) for cell in row.cells]) for row in table.rows]
            series.append(Series(_("All shown"), total, colour="grey", dashed=True))
        charts.append(
            line_chart(
                title,
                table.labels,
                series,
                y_format="percent",
                y_min=0,
                y_max=1,
                x_title=_("Quarter"),
                y_title=label,
            )
        )
    return charts
