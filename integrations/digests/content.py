"""What one person's digest says: read through the same scoped selectors as their pages
(My day, alerts, renewals, the team page), so a digest never shows another book."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q

from accounts.models import Account
from accounts.selectors import account_scope
from core.models import Notification
from core.people import name_from_parts
from core.types import AnyUser
from health.models import ActivityAlert
from health.selectors import alerts_for_user, with_health
from org.models import Role
from org.roles import role_of
from playbooks.models import ACTIVE_STATUSES, Task
from playbooks.selectors import due_now_q, overdue_q, task_scope
from renewals.models import OPEN_STATUSES, RenewalOpportunity
from renewals.selectors import renewal_scope

from .models import DigestKind

# Rows per section; the totals say how many more the pages hold.
SECTION_ROWS = 15
PERIOD_DAYS = {DigestKind.DAILY: 1, DigestKind.WEEKLY: 7}


@dataclass(frozen=True)
class TeamLine:
    name: str
    overdue: int
    due_today: int


@dataclass
class DigestContent:
    kind: str
    today: date
    since: datetime
    tasks: list[Task]
    tasks_total: int
    overdue_total: int
    alerts: list[ActivityAlert]
    renewals: list[RenewalOpportunity]
    health_drops: Sequence[Account]
    notifications: list[Notification]
    team: list[TeamLine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to report: such a digest is not sent."""
        return not (self.tasks or self.alerts or self.renewals or self.health_drops or self.notifications or self.team)


def _team_lines(*, user: AnyUser, today: date) -> list[TeamLine]:
    """A manager's roll-up: open work due by today per other person in their scope, the
    most behind first (an admin's scope is everyone: the first rows say enough)."""
    per_person = (
        task_scope(user=user)
        .filter(status__in=ACTIVE_STATUSES, due_date__lte=today, assignee__isnull=False)
        .exclude(assignee_id=user.pk)
        .values_list("assignee__first_name", "assignee__last_name", "assignee__username")
        .annotate(late=Count("pk", filter=Q(due_date__lt=today)), today=Count("pk", filter=Q(due_date=today)))
        .order_by("-late", "-today", "assignee__username")[:SECTION_ROWS]
    )
    return [TeamLine(name_from_parts(first, last, login), late, due) for first, last, login, late, due in per_person]


def digest_content(*, user: AnyUser, kind: str, today: date, now: datetime) -> DigestContent:
    """One person's digest in a constant number of queries (tests/digests asserts it)."""
    since = now - timedelta(days=PERIOD_DAYS[DigestKind(kind)])
    mine = Task.objects.filter(assignee_id=user.pk).filter(due_now_q(today))
    counts = mine.aggregate(total=Count("pk"), overdue=Count("pk", filter=overdue_q(today)))
    tasks = list(mine.select_related("account").order_by("due_date", "-priority", "pk")[:SECTION_ROWS])
    alerts = list(alerts_for_user(user=user).filter(created_at__gte=since)[:SECTION_ROWS])
    # Renewals that crossed into the renewal window during the digest's period.
    window_end = today + timedelta(days=settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS)
    renewals = list(
        renewal_scope(user=user)
        .filter(
            status__in=OPEN_STATUSES,
            due_date__lte=window_end,
            due_date__gt=window_end - timedelta(days=PERIOD_DAYS[DigestKind(kind)]),
        )
        .select_related("account")
        .order_by("due_date", "pk")[:SECTION_ROWS]
    )
    health_drops = list(
        with_health(account_scope(user=user), today=today)
        .filter(health_score__lt=F("health_score_week_ago"))  # type: ignore[misc]
        .annotate(health_drop=F("health_score_week_ago") - F("health_score"))
        .order_by("-health_drop", "pk")[:SECTION_ROWS]
    )
    # Alerts have their own section; the rest (reviews, incidents, ...) of the period here.
    notifications = list(
        Notification.objects.filter(recipient_id=user.pk, created_at__gte=since)
        .exclude(kind="activity_drop")
        .order_by("-created_at", "-pk")[:SECTION_ROWS]
    )
    is_manager = role_of(user) in (Role.MANAGER, Role.ADMIN)
    return DigestContent(
        kind=kind,
        today=today,
        since=since,
        tasks=tasks,
        tasks_total=counts["total"],
        overdue_total=counts["overdue"],
        alerts=alerts,
        renewals=renewals,
        health_drops=health_drops,
        notifications=notifications,
        team=_team_lines(user=user, today=today) if is_manager else [],
    )
