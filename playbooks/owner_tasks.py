"""Tasks another app's automation raises for account owners (a tech-touch program's task step).

The playbooks app owns tasks: other apps create them here rather than inserting ``Task``
rows themselves, so the history row, the ``tasks_created`` signal (notifications) and
the owner rules are the same as for a playbook's tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from .history import tasks_history_created
from .models import OwnerRole, Task, TaskType, TriggerKind
from .signals import tasks_created


@dataclass(frozen=True)
class OwnerTask:
    account_id: int
    owner_id: int
    title: str
    due_date: date
    episode_key: str  # once per key: a second call with the same key creates nothing
    description: str = ""
    task_type: str = TaskType.ACTIVITY


def tasks_create_for_owners(drafts: Sequence[OwnerTask], *, trigger: str = TriggerKind.MANUAL) -> dict[str, int]:
    """Create each draft's task assigned to the account's owner (following the owner if the
    account changes hands), once per ``episode_key``: a key that already has a task keeps
    it. One read and one insert for the batch. Returns every draft's task id by key."""
    keys = [draft.episode_key[:120] for draft in drafts]
    existing = dict(Task.objects.filter(episode_key__in=keys).values_list("episode_key", "pk"))
    new: dict[str, Task] = {}
    for draft, key in zip(drafts, keys, strict=True):
        if key in existing or key in new:
            continue
        new[key] = Task(
            account_id=draft.account_id,
            assignee_id=draft.owner_id,
            follows_owner=True,
            owner_role=OwnerRole.CSM,
            title=draft.title[:300],
            description=draft.description,
            due_date=draft.due_date,
            task_type=draft.task_type if draft.task_type in TaskType.values else TaskType.ACTIVITY,
            trigger=trigger,
            episode_key=key,
        )
    if not new:
        return existing
    started = timezone.now()
    created = Task.objects.bulk_create(list(new.values()), batch_size=1000)
    tasks_history_created(account_ids={task.account_id for task in created}, since=started)
    task_ids = [task.pk for task in created]
    transaction.on_commit(lambda: tasks_created.send(sender=Task, task_ids=task_ids))
    return {**existing, **{task.episode_key: task.pk for task in created}}
