"""The manager's task when a person is deactivated: "Reassign N accounts of X", due today.

``accounts`` sends ``person_accounts_released`` inside the deactivation's transaction,
with the accounts it just unassigned. One open task per departed person: a second
release while the first task is still open updates it (count and list) instead of
adding another, so running a deactivation twice never makes two tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account
from core.notifications import user_language
from core.people import display_name, person_or_none
from core.types import AnyUser
from org.models import Team

from .models import OPEN_STATUSES, OwnerRole, Priority, Task, TaskType, TriggerKind


def departure_episode(person: Any) -> str:
    return f"person-deactivated:{person.pk}"


def departure_manager(*, person: Any, actor: AnyUser) -> Any:
    """Who reassigns the accounts: the person's team lead (active, not themselves), else the actor."""
    lead_id = Team.objects.filter(members__user=person).values_list("lead_id", flat=True).first()
    if lead_id and lead_id != person.pk:
        lead = get_user_model().objects.filter(pk=lead_id, is_active=True).first()
        if lead is not None:
            return lead
    return person_or_none(actor)


@transaction.atomic
def departure_task_ensure(*, person: Any, accounts: Sequence[Account], actor: AnyUser) -> Task | None:
    """The one open reassignment task for ``person``'s released accounts (created or updated)."""
    if not accounts:
        return None
    manager = departure_manager(person=person, actor=actor)
    ordered = sorted(accounts, key=lambda account: (-account.arr, account.name, account.pk))
    with translation.override(user_language(manager)):
        count = len(ordered)
        title = ngettext(
            "Reassign %(count)s account of %(name)s",
            "Reassign %(count)s accounts of %(name)s",
            count,
        ) % {"count": count, "name": display_name(person)}
        description = "\n".join(
            [_("%(name)s was deactivated; these accounts are now unassigned:") % {"name": display_name(person)}]
            + [f"- {account.name}" for account in ordered]
        )
    episode = departure_episode(person)
    task = Task.objects.select_for_update().filter(episode_key=episode, status__in=OPEN_STATUSES).first()
    if task is not None:
        task.title, task.description, task.assignee = title[:300], description, manager
        task.save(update_fields=["title", "description", "assignee", "updated_at"])
        return task
    return Task.objects.create(
        account=ordered[0],  # a task needs an account: the largest one released
        assignee=manager,
        follows_owner=False,
        owner_role=OwnerRole.MANAGER,
        title=title[:300],
        description=description,
        due_date=timezone.localdate(),
        priority=Priority.HIGH,
        task_type=TaskType.RISK,
        trigger=TriggerKind.MANUAL,
        episode_key=episode,
        created_by=person_or_none(actor),
    )


def on_accounts_released(
    sender: Any, *, person: Any, accounts: Sequence[Account], actor: AnyUser, **kwargs: Any
) -> None:
    departure_task_ensure(person=person, accounts=accounts, actor=actor)


def connect() -> None:
    from accounts.signals import person_accounts_released

    person_accounts_released.connect(on_accounts_released, dispatch_uid="playbooks.departures.accounts_released")
