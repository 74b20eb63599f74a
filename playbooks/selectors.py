"""Reads of the playbooks app, always scoped to what the acting user may see.

Every list here is a fixed number of queries whatever the size of the book: My day is
the page a CSM with 300 accounts opens first thing every morning.
"""

from __future__ import annotations

from datetime import date

from django.db.models import F, Q, QuerySet
from django.http import Http404

from accounts.models import Account, Stakeholder
from accounts.selectors import account_scope, overdue_stakeholders
from core.types import AnyUser

from .models import ACTIVE_STATUSES, AccountStage, Playbook, Task, TaskStatus


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


__all__ = [
    "account_stage",
    "account_tasks",
    "get_task_for_user",
    "overdue_contacts",
    "task_list",
    "task_scope",
]
