"""Reads of the health app for pages and the API, always scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.access import AnyUser
from accounts.models import Account
from accounts.selectors import account_scope

from .models import ActivityAlert, AlertStatus, HealthScore, MeasureGroup
from .scoring import explain_changes, format_value, measure_label, score_changes

TREND_DAYS = 7


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


def with_health(accounts: QuerySet[Account], *, today: date | None = None) -> QuerySet[Account]:
    """Annotate ``health_score``, ``health_colour``, ``health_day`` and ``health_trend``
    (latest score − the score 7 days before today) for list pages and APIs: 3 subqueries,
    no extra query per row."""
    today = today or timezone.localdate()
    latest = HealthScore.objects.filter(account=OuterRef("pk"), day__lte=today).order_by("-day")
    week_ago = HealthScore.objects.filter(account=OuterRef("pk"), day__lte=today - timedelta(days=TREND_DAYS)).order_by(
        "-day"
    )
    return accounts.annotate(
        health_score=Subquery(latest.values("score")[:1]),
        health_colour=Subquery(latest.values("colour")[:1]),
        health_day=Subquery(latest.values("day")[:1]),
        health_score_week_ago=Subquery(week_ago.values("score")[:1]),
    )


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

    @property
    def trend(self) -> int | None:
        if self.score is None or self.week_ago is None or self.score.score is None or self.week_ago.score is None:
            return None
        return self.score.score - self.week_ago.score


def account_health(*, account: Account, today: date | None = None, days: int = 30) -> AccountHealth:
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
