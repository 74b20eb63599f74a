"""Chart specs of the renewals pages (drawn by the shared ``core.charts`` component).

Every bar or point links to the renewals behind it: the renewals list with the page's
own filters plus the period's due dates (and, on the KPI page, the closed statuses).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from core.charts import ChartSpec, Series, bar_chart, line_chart

from .kpis import KpiRow
from .ledger_kpis import LedgerRow, LedgerTrend, quarter_buckets
from .models import CLOSED_STATUSES, OPEN_STATUSES
from .periods import add_months
from .selectors import PipelineRow


def period_label(start: date, by: str) -> str:
    if by == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def period_end(start: date, by: str) -> date:
    return add_months(start, 3 if by == "quarter" else 1) - timedelta(days=1)


def renewals_link(base_query: QueryDict | None, *, start: date, end: date, statuses: Sequence[str]) -> str:
    """The renewals list filtered as ``base_query`` (page filters), due in [start, end]."""
    query = base_query.copy() if base_query is not None else QueryDict(mutable=True)
    for name in ("page", "pipeline", "due_from", "due_to", "due_within", "status"):
        query.pop(name, None)
    query["due_from"] = start.isoformat()
    query["due_to"] = end.isoformat()
    query.setlist("status", list(statuses))
    return f"{reverse('renewals:list')}?{query.urlencode()}"


def pipeline_charts(rows: Sequence[PipelineRow], *, by: str, base_query: QueryDict | None) -> list[ChartSpec]:
    """The open pipeline per month or quarter: ARR by stage (stacked) and the forecast."""
    if not rows:
        return []
    labels = [period_label(row.period, by) for row in rows]
    links = [
        renewals_link(base_query, start=row.period, end=period_end(row.period, by), statuses=OPEN_STATUSES)
        for row in rows
    ]
    stacked = bar_chart(
        _("ARR up for renewal by stage"),
        labels,
        [
            Series(_("Committed"), [row.committed for row in rows], colour="green"),
            Series(_("Open"), [row.open_arr for row in rows], colour="blue"),
            Series(_("At risk"), [row.at_risk for row in rows], colour="red"),
        ],
        stacked=True,
        y_format="money",
        links=links,
    )
    forecast = bar_chart(
        _("Forecast vs committed vs at risk"),
        labels,
        [
            Series(_("Forecast"), [row.forecast for row in rows], colour="teal"),
            Series(_("Committed"), [row.committed for row in rows], colour="green"),
            Series(_("At risk"), [row.at_risk for row in rows], colour="red"),
        ],
        y_format="money",
        links=links,
    )
    return [stacked, forecast]


def kpi_trend_charts(rows: Sequence[KpiRow]) -> list[ChartSpec]:
    """GRR and NDR, then the logo and revenue renewal rates, per quarter."""
    if not rows:
        return []
    labels = [row.label for row in rows]
    links = [
        f"{reverse('renewals:list')}?{urlencode({**row.filters, 'status': list(CLOSED_STATUSES)}, doseq=True)}"
        for row in rows
    ]
    retention = line_chart(
        _("Renewal-based revenue retention per quarter"),
        labels,
        [
            Series(_("GRR"), [row.grr for row in rows], colour="blue"),
            Series(_("NDR"), [row.ndr for row in rows], colour="green"),
        ],
        y_format="percent",
        y_min=0,
        links=links,
        x_title=_("Quarter due"),
        y_title=_("Rate"),
    )
    rates = line_chart(
        _("Renewal-based rates per quarter"),
        labels,
        [
            Series(_("Logo renewal rate"), [row.logo_renewal_rate for row in rows], colour="purple"),
            Series(_("Revenue renewal rate (pure)"), [row.revenue_renewal_rate_pure for row in rows], colour="teal"),
            Series(
                _("Revenue renewal rate (with expansion)"),
                [row.revenue_renewal_rate_expansion for row in rows],
                colour="orange",
                dashed=True,
            ),
        ],
        y_format="percent",
        y_min=0,
        links=links,
        x_title=_("Quarter due"),
        y_title=_("Rate"),
    )
    return [retention, rates]


def _rate_series(name: str, rows: Sequence[LedgerRow]) -> list[Decimal | None]:
    return [getattr(row, name) for row in rows]


def ledger_trend_charts(trend: LedgerTrend | None, *, start: date, end: date, group_by: str) -> list[ChartSpec]:
    """NDR, GRR and logo retention over the ARR in force, each quarter its own cohort.

    Grouped, each group of the table is a line and the visible accounts together a
    dashed one; a quarter without starting ARR is a gap in its line, never left out of
    the axis. A point opens the quarter's movements of the cohort (all groups).
    """
    if trend is None or not trend.total:
        return []
    quarters = quarter_buckets(start, end)
    links = [
        f"{reverse('renewals:arr_movements')}?"
        + urlencode({"start": first.isoformat(), "end": last.isoformat(), "group_by": "company", "cohort": "in"})
        for first, last in quarters
    ]
    rates = (
        ("ndr", _("NDR over the ARR in force per quarter"), _("NDR")),
        ("grr", _("GRR over the ARR in force per quarter"), _("GRR")),
        ("logo_retention", _("Logo retention per quarter"), _("Logo retention")),
    )
    charts = []
    for name, title, label in rates:
        if group_by == "company" or not trend.groups:
            series = [Series(label, _rate_series(name, trend.total), colour="blue")]
        else:
            series = [Series(group_label, _rate_series(name, rows)) for _key, group_label, rows in trend.groups]
            series.append(Series(_("All shown"), _rate_series(name, trend.total), colour="grey", dashed=True))
        charts.append(
            line_chart(
                title,
                trend.labels,
                series,
                y_format="percent",
                y_min=0,
                links=links,
                x_title=_("Quarter"),
                y_title=label,
            )
        )
    return charts
