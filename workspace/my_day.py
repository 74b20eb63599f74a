"""My day: the CSM's home page (the first page after login) — today's tasks, alerts,
renewals coming up, health drops and overdue contacts, in constant queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Account, Stakeholder
from accounts.selectors import BookSummary, account_scope, book_summary
from config.http import HtmxHttpRequest
from core.models import Notification
from core.notifications import notifications_for
from core.people import name_from_parts
from core.types import AnyUser
from health.models import HealthScore
from health.selectors import with_health
from org.models import Role
from org.roles import role_of
from playbooks.models import ACTIVE_STATUSES, Task
from playbooks.selectors import due_now_q, overdue_contacts, overdue_q, task_scope
from renewals.models import RenewalOpportunity
from renewals.selectors import UNDECIDED_STATUSES as UNDECIDED_RENEWALS
from renewals.selectors import renewal_scope

# The most urgent first; the rest is one click away ("All my tasks"): a page of 25 stays
# quick however large the book (bench/playbooks.py times it).
MY_DAY_TASKS = 25
MY_DAY_ROWS = 15


@dataclass(frozen=True)
class TeamMemberWork:
    user_id: int
    name: str
    overdue: int
    due_today: int


@dataclass
class MyDay:
    today: date
    book: BookSummary
    tasks: list[Task]
    tasks_total: int
    overdue_total: int
    alerts: list[Notification]
    renewals: list[RenewalOpportunity]
    health_drops: list[Account]
    show_health: bool
    contacts: list[Stakeholder]
    contacts_total: int
    is_manager: bool = False
    team: list[TeamMemberWork] = field(default_factory=list)


def team_work(*, user: AnyUser, today: date) -> list[TeamMemberWork]:
    """Overdue and due-today open tasks per assignee over the manager's scope: one query."""
    rows = (
        task_scope(user=user)
        .filter(status__in=ACTIVE_STATUSES, due_date__lte=today, assignee__isnull=False)
        .values("assignee_id", "assignee__first_name", "assignee__last_name", "assignee__username")
        .annotate(
            n_overdue=Count("pk", filter=Q(due_date__lt=today)), n_due_today=Count("pk", filter=Q(due_date=today))
        )
        .order_by("-n_overdue", "assignee__username")
    )
    return [
        TeamMemberWork(
            user_id=row["assignee_id"],
            name=name_from_parts(row["assignee__first_name"], row["assignee__last_name"], row["assignee__username"]),
            overdue=row["n_overdue"],
            due_today=row["n_due_today"],
        )
        for row in rows
    ]


def my_day(*, user: AnyUser, today: date | None = None) -> MyDay:
    """Everything on the CSM's home page, in a constant number of queries."""
    today = today or timezone.localdate()
    scope = account_scope(user=user)
    mine = Task.objects.filter(assignee_id=user.pk).filter(due_now_q(today))
    counts = mine.aggregate(total=Count("pk"), overdue=Count("pk", filter=overdue_q(today)))
    tasks = list(mine.select_related("account", "playbook").order_by("due_date", "-priority", "pk")[:MY_DAY_TASKS])
    window = settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS + settings.HOURGLASS_MY_DAY_RENEWAL_LOOKAHEAD_DAYS
    renewals = list(
        renewal_scope(user=user)
        .filter(status__in=UNDECIDED_RENEWALS, due_date__lte=today + timedelta(days=window))
        .select_related("account")
        .order_by("due_date", "pk")[:MY_DAY_ROWS]
    )
    for renewal in renewals:
        renewal.days_left_value = (renewal.due_date - today).days  # type: ignore[attr-defined]
        renewal.entering = renewal.days_left_value > settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS  # type: ignore[attr-defined]
    show_health = HealthScore.objects.filter(
        account__in=scope.values("pk"), day__gte=today - timedelta(days=7)
    ).exists()
    health_drops: list[Account] = []
    if show_health:
        health_drops = list(
            with_health(scope, today=today)
            .filter(health_score__lt=F("health_score_week_ago"))  # type: ignore[misc]
            .annotate(health_drop=F("health_score_week_ago") - F("health_score"))
            .order_by("-health_drop", "pk")[:MY_DAY_ROWS]
        )
    contacts_qs = overdue_contacts(accounts=scope.filter(owner_id=user.pk), today=today)
    contacts = list(contacts_qs[:MY_DAY_ROWS])
    is_manager = role_of(user) in (Role.MANAGER, Role.ADMIN)
    return MyDay(
        today=today,
        book=book_summary(user=user, today=today),
        tasks=tasks,
        tasks_total=counts["total"],
        overdue_total=counts["overdue"],
        alerts=list(notifications_for(user=user, unread_only=True)[:MY_DAY_ROWS]),
        renewals=renewals,
        health_drops=health_drops,
        show_health=show_health,
        contacts=contacts,
        contacts_total=contacts_qs.count(),
        is_manager=is_manager,
        team=team_work(user=user, today=today) if is_manager else [],
    )


@login_required
def my_day_view(request: HtmxHttpRequest) -> HttpResponse:
    day = my_day(user=request.user)
    return render(request, "workspace/my_day.html", {"day": day, "book": day.book, "compact": True})
