"""Reads of the playbooks app, always scoped to what the acting user may see.

Every list here is a fixed number of queries whatever the size of the book: My day is
the page a CSM with 300 accounts opens first thing every morning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, Stakeholder
from accounts.selectors import BookSummary, account_scope, book_summary, overdue_stakeholders
from core.models import Notification
from core.notifications import notifications_for
from core.people import name_from_parts
from core.types import AnyUser
from health.models import HealthScore
from health.selectors import with_health
from org.models import Role
from org.roles import role_of
from renewals.models import OPEN_STATUSES as OPEN_RENEWALS
from renewals.models import RenewalOpportunity
from renewals.selectors import renewal_scope

from .models import ACTIVE_STATUSES, AccountStage, Playbook, Task, TaskStatus

# The most urgent first; the rest is one click away ("All my tasks"). 25 rows keep the
# page well under 100 ms for a 2,000-account book (bench/playbooks.py).
MY_DAY_TASKS = 25
MY_DAY_ROWS = 15


def task_scope(*, user: AnyUser) -> QuerySet[Task]:
    """Tasks on the accounts ``user`` may see, plus any task assigned to them."""
    if not user.is_authenticated:
        return Task.objects.none()
    return Task.objects.filter(Q(account__in=account_scope(user=user).values("pk")) | Q(assignee_id=user.pk))


def task_list(*, user: AnyUser) -> QuerySet[Task]:
    """The tasks page and API: scoped, with what a row shows joined in."""
    return task_scope(user=user).select_related("account", "assignee", "playbook")


def get_task_for_user(user: AnyUser, pk: int | str) -> Task:
    """One task, or 404 when it does not exist or lies outside the user's scope."""
    try:
        return task_list(user=user).get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such task.") from exc


def due_now_q(today: date) -> Q:
    """Open work due today or earlier, and snoozed work whose day has come."""
    return Q(status__in=ACTIVE_STATUSES, due_date__lte=today) | Q(status=TaskStatus.SNOOZED, snoozed_until__lte=today)


def overdue_q(today: date) -> Q:
    return Q(status__in=ACTIVE_STATUSES, due_date__lt=today)


def account_tasks(*, account: Account) -> QuerySet[Task]:
    """The account page's tasks tab: open ones first, then the last closed ones."""
    return (
        Task.objects.filter(account=account)
        .select_related("assignee", "playbook")
        .order_by(F("completed_at").desc(nulls_first=True), "due_date", "-priority", "pk")
    )


def account_stage(*, account: Account) -> AccountStage | None:
    return AccountStage.objects.filter(account=account).first()


def playbook_list() -> QuerySet[Playbook]:
    return Playbook.objects.prefetch_related("steps").order_by("trigger", "name", "pk")


def overdue_contacts(*, accounts: QuerySet[Account], today: date) -> QuerySet[Stakeholder]:
    """Active stakeholders whose last touchpoint is older than their cadence.

    The cadence (tier default or the account segment's override) is resolved by
    ``accounts.cadence``: overdue when ``last contact (local date) + cadence < today``;
    never contacted is overdue too.
    """
    people = Stakeholder.objects.filter(account__in=accounts.values("pk"), is_active=True)
    return (
        overdue_stakeholders(stakeholders=people, today=today)
        .select_related("account")
        .order_by(F("last_contact").asc(nulls_first=True), "tier", "pk")
    )


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
        .filter(status__in=OPEN_RENEWALS, due_date__lte=today + timedelta(days=window))
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


__all__ = [
    "MyDay",
    "account_stage",
    "account_tasks",
    "get_task_for_user",
    "my_day",
    "overdue_contacts",
    "task_list",
    "task_scope",
    "team_work",
]
