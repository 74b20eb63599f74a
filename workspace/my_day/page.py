"""My day: the CSM's home page (the first page after login), a triage of what needs them
today — tasks, overdue contacts and renewals ranked by one priority score and grouped
(today, overdue, this week) — with alerts apart from FYIs, in constant queries.

A manager (or admin) chooses the scope, "Mine" or "My team" (default), with ``?scope=``;
the choice is kept in the session, and every tile and card of the page uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Account, AccountStatus, TouchpointKind
from accounts.selectors import account_scope
from config.http import HtmxHttpRequest
from core.people import name_from_parts
from core.types import AnyUser
from health.selectors import with_health
from org.models import Role
from org.roles import role_of
from playbooks.models import ACTIVE_STATUSES, Task
from playbooks.selectors import task_scope
from renewals.models import RenewalOpportunity
from renewals.selectors import renewal_scope

from .alerts import Inbox, inbox
from .triage import (
    LATER,
    OVERDUE,
    TODAY,
    WEEK,
    Ranked,
    TriageGroup,
    TriageRow,
    contact_rows,
    merge,
    renewal_rows,
    task_rows,
)

# The most urgent rows of each group; the rest is one click away ("All my tasks", the
# overdue-contacts and renewals pages): a page of 25 stays quick however large the book.
MY_DAY_TASKS = 25
MY_DAY_ROWS = 15
MINE, TEAM = "mine", "team"
SCOPE_SESSION_KEY = "my_day_scope"
# The second tap of "Log touch" on an overdue contact.
TOUCH_KINDS = (TouchpointKind.CALL, TouchpointKind.EMAIL, TouchpointKind.MEETING, TouchpointKind.VISIT)


@dataclass(frozen=True)
class TeamMemberWork:
    user_id: int
    name: str
    overdue: int
    due_today: int


@dataclass(frozen=True)
class Tiles:
    accounts: int
    arr: Decimal
    onboarding: int
    churned: int
    pipeline_renewals: int
    pipeline_arr: Decimal
    lapsed_renewals: int
    lapsed_arr: Decimal


@dataclass
class MyDay:
    today: date
    scope: str
    is_manager: bool
    tiles: Tiles
    groups: list[TriageGroup]
    tasks_total: int
    overdue_total: int
    contacts_total: int
    renewals: list[RenewalOpportunity]
    inbox: Inbox
    health_drops: list[Any]
    go_lives: list[Account]
    team: list[TeamMemberWork] = field(default_factory=list)

    @property
    def alerts(self) -> list[object]:
        return list(self.inbox.alerts)

    def group(self, key: str) -> TriageGroup:
        return next(group for group in self.groups if group.key == key)


def is_manager(user: AnyUser) -> bool:
    return role_of(user) in (Role.MANAGER, Role.ADMIN)


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


def _tiles(accounts: QuerySet[Account], renewals: Ranked) -> Tiles:
    """One aggregate query over the accounts; the renewal figures come with the renewal
    rows (window sums): lapsed — past their date, swept or not — is not open pipeline."""
    book = accounts.order_by().aggregate(
        n=Count("pk"),
        arr=Coalesce(Sum("arr"), Decimal("0")),
        onboarding=Count("pk", filter=Q(status=AccountStatus.ONBOARDING)),
        churned=Count("pk", filter=Q(status=AccountStatus.CHURNED)),
    )
    ahead = (TODAY, WEEK, LATER)
    return Tiles(
        accounts=book["n"],
        arr=book["arr"],
        onboarding=book["onboarding"],
        churned=book["churned"],
        pipeline_renewals=sum(renewals.counts[key] for key in ahead),
        pipeline_arr=sum((renewals.sums[key] for key in ahead), Decimal("0")),
        lapsed_renewals=renewals.counts[OVERDUE],
        lapsed_arr=renewals.sums[OVERDUE],
    )


def _accounts_to_watch(accounts: QuerySet[Account], *, today: date) -> tuple[list[Any], list[Any]]:
    """Health fell this week (biggest drop first) and go-lives within ±30 days (by date):
    one query, each list ranked in its own window partition."""
    window = Q(go_live_date__gte=today - timedelta(days=30), go_live_date__lte=today + timedelta(days=30))
    fell = Q(health_score__lt=F("health_score_week_ago"))
    rows = (
        with_health(accounts, today=today)
        .filter(fell | window)
        .annotate(
            health_drop=Case(When(fell, then=F("health_score_week_ago") - F("health_score")), default=Value(0)),
            p_kind=Case(When(fell, then=Value("drop")), default=Value("go_live"), output_field=CharField()),
        )
        .annotate(
            p_rank=Window(
                RowNumber(),
                partition_by=[F("p_kind")],
                order_by=[F("health_drop").desc(), F("go_live_date").asc(), F("pk").asc()],
            )
        )
        .filter(p_rank__lte=MY_DAY_ROWS)
        .order_by("p_kind", "-health_drop", "go_live_date", "pk")
    )
    drops: list[Any] = []
    go_lives: list[Any] = []
    for account in rows:
        (drops if account.p_kind == "drop" else go_lives).append(account)
    go_lives.sort(key=lambda account: (account.go_live_date, account.pk))
    return drops, go_lives


def my_day(*, user: AnyUser, today: date | None = None, scope: str = MINE) -> MyDay:
    """Everything on the home page over one scope, in a constant number of queries."""
    today = today or timezone.localdate()
    manager = is_manager(user)
    scope = scope if manager and scope in (MINE, TEAM) else MINE
    visible = account_scope(user=user)
    if scope == TEAM:
        accounts = visible
        tasks = task_scope(user=user)
        renewals = renewal_scope(user=user)
    else:
        accounts = visible.filter(owner_id=user.pk)
        tasks = Task.objects.filter(assignee_id=user.pk)
        renewals = renewal_scope(user=user).filter(account__owner_id=user.pk)
    window = settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS + settings.HOURGLASS_MY_DAY_RENEWAL_LOOKAHEAD_DAYS
    ranked_tasks = task_rows(tasks, today=today, limit=MY_DAY_TASKS)
    ranked_contacts = contact_rows(accounts, today=today, limit=MY_DAY_ROWS)
    ranked_renewals = renewal_rows(renewals, today=today, window_days=window, limit=MY_DAY_ROWS)
    # The renewal window by date: lapsed ones first (also triage rows), then what is coming.
    upcoming = sorted((row.item for row in ranked_renewals.rows), key=lambda r: (r.due_date, r.pk))
    for renewal in upcoming:
        renewal.entering = renewal.days_left_value > settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS
    health_drops, go_lives = _accounts_to_watch(accounts, today=today)
    groups = merge(ranked_tasks, ranked_contacts, ranked_renewals, limit=MY_DAY_TASKS)
    counts = ranked_tasks.counts
    return MyDay(
        today=today,
        scope=scope,
        is_manager=manager,
        tiles=_tiles(accounts, ranked_renewals),
        groups=groups,
        tasks_total=counts["overdue"] + counts["today"],
        overdue_total=counts["overdue"],
        contacts_total=ranked_contacts.counts["overdue"],
        renewals=upcoming,
        inbox=inbox(user=user, accounts=accounts, today=today, limit=MY_DAY_ROWS),
        health_drops=health_drops,
        go_lives=go_lives,
        team=team_work(user=user, today=today) if manager and scope == TEAM else [],
    )


def scope_of(request: HtmxHttpRequest) -> str:
    """A manager's "Mine" / "My team" choice: ``?scope=`` (kept in the session), else the
    session's, else the team. A CSM's My day is always their own."""
    if not is_manager(request.user):
        return MINE
    asked = request.GET.get("scope")
    if asked in (MINE, TEAM):
        if request.session.get(SCOPE_SESSION_KEY) != asked:
            request.session[SCOPE_SESSION_KEY] = asked
        return asked
    kept = request.session.get(SCOPE_SESSION_KEY)
    return kept if kept in (MINE, TEAM) else TEAM


@login_required
def my_day_view(request: HtmxHttpRequest) -> HttpResponse:
    day = my_day(user=request.user, scope=scope_of(request))
    touch_kinds = [(kind.value, kind.label) for kind in TOUCH_KINDS]
    return render(request, "workspace/my_day.html", {"day": day, "compact": True, "touch_kinds": touch_kinds})


__all__ = [
    "MY_DAY_ROWS",
    "MY_DAY_TASKS",
    "MyDay",
    "TeamMemberWork",
    "TriageRow",
    "my_day",
    "my_day_view",
    "team_work",
]
