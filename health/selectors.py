"""Reads of the health app for pages and the API, always scoped to the acting user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncMonth, TruncQuarter
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.models import Account
from accounts.segments import Segment, segment_case
from accounts.selectors import account_scope
from core.charts import ChartSpec, Series, line_chart
from core.people import display_name

from .models import (
    ActivityAlert,
    AlertStatus,
    HealthScore,
    MeasureGroup,
    NpsResponse,
    RecalculationRun,
)
from .nps import NpsFigure, nps_counts, nps_responses_for_user, nps_summary, nps_value
from .scoring import explain_changes, format_value, measure_label, score_changes

TREND_DAYS = 7
# The account page's score chart spans this many days.
CHART_DAYS = 90


def alerts_for_user(*, user: AnyUser) -> QuerySet[ActivityAlert]:
    return (
        ActivityAlert.objects.filter(account__in=account_scope(user=user))
        .select_related("account", "acknowledged_by", "resolved_by")
        .order_by("-detected_on", "-pk")
    )


def get_alert_for_user(user: AnyUser, pk: int | str) -> ActivityAlert:
    """One alert, or 404 when it does not exist or its account is outside the scope."""
    try:
        return alerts_for_user(user=user).get(pk=pk)
    except (ActivityAlert.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such alert.") from exc


def scores_for_user(*, user: AnyUser) -> QuerySet[HealthScore]:
    return (
        HealthScore.objects.filter(account__in=account_scope(user=user))
        .select_related("account")
        .order_by("account_id", "-day")
    )


def latest_score(account_ref: str = "pk", *, today: date | None = None) -> Subquery:
    """The latest health score (on or before ``today``) of the account ``account_ref``
    names in the outer query, as a subquery: None when the account has none yet."""
    today = today or timezone.localdate()
    latest = HealthScore.objects.filter(account=OuterRef(account_ref), day__lte=today).order_by("-day")
    return Subquery(latest.values("score")[:1], output_field=IntegerField())


def with_health(accounts: QuerySet[Account], *, today: date | None = None) -> QuerySet[Account]:
    """Annotate ``health_score``, ``health_colour`` and ``health_score_week_ago`` (the
    trend is latest score − the score 7 days before today) for list pages and APIs:
    3 subqueries, no extra query per row. (No ``health_day``: nothing showed it, and each
    subquery is paid for on every row of every list page.)"""
    today = today or timezone.localdate()
    latest = HealthScore.objects.filter(account=OuterRef("pk"), day__lte=today).order_by("-day")
    week_ago = HealthScore.objects.filter(account=OuterRef("pk"), day__lte=today - timedelta(days=TREND_DAYS)).order_by(
        "-day"
    )
    return accounts.annotate(
        health_score=latest_score(today=today),
        health_colour=Subquery(latest.values("colour")[:1]),
        health_score_week_ago=Subquery(week_ago.values("score")[:1]),
    )


def latest_colour_counts(
    accounts: QuerySet[Account], *, group_by: str, today: date | None = None
) -> dict[Any, dict[str, int]]:
    """How many of ``accounts`` are green / yellow / red by their latest score on or
    before ``today``, grouped by the account field ``group_by`` (e.g. ``owner_id``).

    Set-based: the nightly run scores every account on the same day, so the latest
    scored day is found once (index on ``day``) and joined; only accounts without a
    score that day (new, or skipped) fall back to a latest-row subquery each. Three
    queries, whatever the number of accounts; no correlated subquery per scored account.
    """
    today = today or timezone.localdate()
    latest_day = HealthScore.objects.filter(day__lte=today).aggregate(day=Max("day"))["day"]
    counts: dict[Any, dict[str, int]] = {}
    if latest_day is None:
        return counts

    def add(rows: Any) -> None:
        for row in rows:
            if row["colour"]:
                bucket = counts.setdefault(row["key"], {})
                bucket[row["colour"]] = bucket.get(row["colour"], 0) + row["n"]

    accounts = accounts.order_by()
    add(
        accounts.filter(health_scores__day=latest_day)
        .values(key=F(group_by), colour=F("health_scores__colour"))
        .annotate(n=Count("pk"))
    )
    scored_that_day = HealthScore.objects.filter(account=OuterRef("pk"), day=latest_day)
    latest = HealthScore.objects.filter(account=OuterRef("pk"), day__lt=latest_day).order_by("-day")
    add(
        accounts.exclude(Exists(scored_that_day))
        .annotate(colour=Subquery(latest.values("colour")[:1]))
        .values("colour", key=F(group_by))
        .annotate(n=Count("pk"))
    )
    return counts


def health_trend(account: Any) -> int | None:
    """The 7-day delta of an account annotated by ``with_health``."""
    now, before = getattr(account, "health_score", None), getattr(account, "health_score_week_ago", None)
    return None if now is None or before is None else now - before


@dataclass(frozen=True)
class MeasureRow:
    key: str
    label: str
    group: str
    group_label: str
    weight: int
    value: str
    missing: bool
    points: float | None
    colour: str
    contribution: float | None


@dataclass
class AccountHealth:
    account: Account
    score: HealthScore | None
    week_ago: HealthScore | None
    history: list[HealthScore]
    measures: list[MeasureRow] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    since_last_week: list[str] = field(default_factory=list)
    alerts: list[ActivityAlert] = field(default_factory=list)
    chart: ChartSpec | None = None
    recalculation: RecalculationRun | None = None
    # A new id for every render: htmx re-renders the panel in place and copies the old
    # element's attributes onto a new one with the same id, including the inline size
    # Chart.js gave the canvas, which the Content-Security-Policy refuses.
    chart_id: str = field(default_factory=lambda: f"health-trend-{secrets.token_hex(4)}")

    @property
    def trend(self) -> int | None:
        if self.score is None or self.week_ago is None or self.score.score is None or self.week_ago.score is None:
            return None
        return self.score.score - self.week_ago.score


def score_trend_chart(history: list[HealthScore], *, today: date, days: int = CHART_DAYS) -> ChartSpec:
    """The score per day over ``days`` days up to ``today``; days without a score are gaps."""
    by_day = {row.day: row.score for row in history}
    span = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    return line_chart(
        _("Health score, last %(days)d days") % {"days": days},
        [day.isoformat() for day in span],
        [Series(str(_("Score")), [by_day.get(day) for day in span], colour="blue")],
        y_min=0,
        y_max=100,
        height="sm",
        x_title=str(_("Day")),
        y_title=str(_("Health score")),
    )


def account_health(*, account: Account, today: date | None = None, days: int = CHART_DAYS) -> AccountHealth:
    """Everything the account page's health panel shows (account already scope-checked)."""
    today = today or timezone.localdate()
    history = list(
        HealthScore.objects.filter(account=account, day__lte=today, day__gt=today - timedelta(days=days)).order_by(
            "day"
        )
    )
    latest = history[-1] if history else None
    week_ago = None
    if latest is not None:
        cutoff = latest.day - timedelta(days=TREND_DAYS)
        week_ago = (
            next((row for row in reversed(history) if row.day <= cutoff), None)
            or HealthScore.objects.filter(account=account, day__lte=cutoff).order_by("-day").first()
        )
    groups = dict(MeasureGroup.choices)
    health = AccountHealth(account=account, score=latest, week_ago=week_ago, history=history)
    if any(row.score is not None for row in history):
        health.chart = score_trend_chart(history, today=today, days=days)
    health.recalculation = RecalculationRun.objects.filter(account=account).order_by("-pk").first()
    if latest is not None:
        health.measures = [
            MeasureRow(
                key=row["key"],
                label=measure_label(row["key"]),
                group=row["group"],
                group_label=str(groups.get(row["group"], row["group"])),
                weight=row["weight"],
                value=format_value(row["key"], row["value"]),
                missing=row["value"] is None,
                points=row["points"],
                colour=row["colour"],
                contribution=row["contribution"],
            )
            for row in latest.measures
        ]
        health.explanation = explain_changes(latest.changes)
        if week_ago is not None:
            health.since_last_week = explain_changes(score_changes(week_ago.measures, latest.measures))
    health.alerts = list(
        ActivityAlert.objects.filter(account=account)
        .exclude(status=AlertStatus.RESOLVED)
        .select_related("acknowledged_by")
        .order_by("-detected_on", "-pk")
    )
    return health


# --- NPS page ---------------------------------------------------------------------------

NPS_PERIODS = ("month", "quarter")
NPS_GROUPS = ("segment", "owner", "account", "company")
NPS_DEFAULT_PERIODS = 12


@dataclass(frozen=True)
class NpsRow:
    key: str  # the group key as text (for links), "" for the company
    label: str
    figure: NpsFigure


@dataclass
class NpsReport:
    period: str
    group_by: str
    start: date
    end: date
    periods: list[date]
    trend: list[NpsFigure | None]
    rows: list[NpsRow]
    selected_period: date | None
    chart: ChartSpec | None
    responses: QuerySet[NpsResponse]

    @property
    def trend_rows(self) -> list[NpsPeriodRow]:
        """Newest period first, for the table under the chart."""
        return [
            NpsPeriodRow(day=day, label=period_label(day, self.period), figure=figure)
            for day, figure in reversed(list(zip(self.periods, self.trend, strict=True)))
        ]


@dataclass(frozen=True)
class NpsPeriodRow:
    day: date
    label: str
    figure: NpsFigure | None


def period_start(day: date, period: str) -> date:
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, day.month, 1)


def period_after(day: date, period: str) -> date:
    months = 3 if period == "quarter" else 1
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def period_label(day: date, period: str) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}" if period == "quarter" else f"{day:%Y-%m}"


def _figure(row: dict[str, Any], key: Any) -> NpsFigure:
    return NpsFigure(
        key=key,
        responses=row["responses"],
        promoters=row["promoters"],
        passives=row["responses"] - row["promoters"] - row["detractors"],
        detractors=row["detractors"],
        nps=nps_value(promoters=row["promoters"], detractors=row["detractors"], responses=row["responses"]),
    )


def _group_labels(group_by: str, keys: list[Any]) -> dict[Any, str]:
    if group_by == "segment":
        return {key: str(Segment(key).label) if key in Segment.values else str(key) for key in keys}
    if group_by == "owner":
        User = get_user_model()
        labels = {user.pk: display_name(user) for user in User.objects.filter(pk__in=[k for k in keys if k])}
        return {key: labels.get(key) or str(_("No owner")) for key in keys}
    if group_by == "account":
        return dict(Account.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {None: str(_("Company"))}


def nps_report(
    *,
    user: AnyUser,
    period: str = "month",
    group_by: str = "segment",
    today: date | None = None,
    periods: int = NPS_DEFAULT_PERIODS,
    selected: date | None = None,
    group_key: str | None = None,
) -> NpsReport:
    """NPS by period (company trend, scoped to ``user``) and by group for one period
    (``selected``, default the whole range), plus the responses behind a figure.

    A fixed number of queries whatever the number of responses or groups.
    """
    period = period if period in NPS_PERIODS else "month"
    group_by = group_by if group_by in NPS_GROUPS else "segment"
    today = today or timezone.localdate()
    last = period_start(today, period)
    span = [last]
    while len(span) < periods:
        previous = period_start(span[0] - timedelta(days=1), period)
        span.insert(0, previous)
    start, end = span[0], today
    scoped = nps_responses_for_user(user=user).filter(responded_on__gte=start, responded_on__lte=end)
    trunc = TruncQuarter("responded_on") if period == "quarter" else TruncMonth("responded_on")
    counts = nps_counts()
    by_period = {
        _as_date(row["bucket"]): _figure(row, _as_date(row["bucket"]))
        for row in scoped.order_by().annotate(bucket=trunc).values("bucket").annotate(**counts)
    }
    trend = [by_period.get(day) for day in span]
    if selected is not None:
        selected = period_start(selected, period)
        if selected not in span:
            selected = None
    window_start, window_end = start, end
    if selected is not None:
        window_start, window_end = selected, period_after(selected, period) - timedelta(days=1)
    figures = nps_summary(scoped, group_by=group_by, start=window_start, end=window_end)
    labels = _group_labels(group_by, [figure.key for figure in figures])
    rows = sorted(
        (
            NpsRow(key="" if f.key is None else str(f.key), label=labels.get(f.key, str(f.key)), figure=f)
            for f in figures
        ),
        key=lambda row: row.label.lower(),
    )
    responses = scoped.filter(responded_on__gte=window_start, responded_on__lte=window_end)
    if group_key and group_by != "company":
        responses = _filter_group(responses, group_by, group_key)
    chart = None
    if any(figure is not None for figure in trend):
        chart = line_chart(
            _("NPS by %(period)s") % {"period": _("quarter") if period == "quarter" else _("month")},
            [period_label(day, period) for day in span],
            [Series(str(_("NPS")), [f.nps if f else None for f in trend], colour="purple")],
            y_min=-100,
            y_max=100,
            links=[f"?period={period}&by={group_by}&at={day.isoformat()}#nps-responses" for day in span],
        )
    return NpsReport(
        period=period,
        group_by=group_by,
        start=start,
        end=end,
        periods=span,
        trend=trend,
        rows=rows,
        selected_period=selected,
        chart=chart,
        responses=responses.select_related("account", "account__owner", "stakeholder"),
    )


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _filter_group(responses: QuerySet[NpsResponse], group_by: str, key: str) -> QuerySet[NpsResponse]:
    if group_by == "segment":
        return responses.annotate(segment_key=segment_case("account__arr")).filter(segment_key=key)
    if not key.isdigit():
        return responses.none()
    if group_by == "owner":
        return responses.filter(account__owner_id=int(key))
    return responses.filter(account_id=int(key))
