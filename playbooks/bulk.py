"""Bulk actions on tasks: done, snooze, change the due date, reassign, add to accounts.

Each action is one service: it locks every chosen task (in primary-key order, so two
bulk actions cannot deadlock), refuses the whole action when one of them is outside the
actor's scope or already closed (naming it), and writes set-based — the same number of
queries for 1 task or 50. Each answers with a ``BulkOutcome``: the count done and an
undo token (``core.undo``) that ``tasks_bulk_undo`` accepts for ten seconds; the undo
restores only the tasks still as the action left them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Field, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_update_with_history

from accounts.models import TimelineEntry
from accounts.selectors import account_scope, assignable_owners
from accounts.timeline import TimelineDraft, timeline_record_many
from core.audit_source import current_audit_source
from core.messages import message, word
from core.people import person_or_none
from core.types import AnyUser
from core.undo import BulkOutcome, undo_state, undo_token

from .history import tasks_history_created
from .models import OPEN_STATUSES, OwnerRole, Priority, Task, TaskStatus, TaskType, TriggerKind
from .selectors import task_scope
from .signals import task_completed, tasks_created

# A page holds 50 rows; a bigger selection comes from a crafted request.
MAX_ROWS = 200

# The fields each reversible action changes (what its undo token keeps, before and after).
UNDO_FIELDS = {
    "done": ("status", "snoozed_until", "completed_at", "completed_by_id"),
    "snooze": ("status", "snoozed_until"),
    "due": ("due_date",),
    "reassign": ("assignee_id", "follows_owner"),
}


def _ids(values: Collection[Any], *, field: str) -> list[int]:
    try:
        ids = sorted({int(value) for value in values})
    except (TypeError, ValueError) as error:
        raise ValidationError({field: _("Choose rows from the list.")}) from error
    if not ids:
        raise ValidationError({field: _("Choose at least one row.")})
    if len(ids) > MAX_ROWS:
        raise ValidationError({field: _("Choose at most %(max)s rows at a time.") % {"max": MAX_ROWS}})
    return ids


def locked_open_tasks(*, actor: AnyUser, task_ids: Collection[Any]) -> list[Task]:
    """The chosen tasks, locked; all in the actor's scope and open, or nothing at all."""
    ids = _ids(task_ids, field="task")
    tasks = list(
        task_scope(user=actor)
        .filter(pk__in=ids)
        .select_related("account")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    found = {task.pk for task in tasks}
    if missing := [pk for pk in ids if pk not in found]:
        # By number only: a task outside the scope must not show its title.
        raise ValidationError(
            {"task": _("Task #%(id)s is not one you can change; nothing was changed.") % {"id": missing[0]}}
        )
    if closed := [task for task in tasks if task.status not in OPEN_STATUSES]:
        raise ValidationError(
            {"task": _("“%(title)s” is already closed; nothing was changed.") % {"title": closed[0].display_title}}
        )
    return tasks


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _decode(name: str, value: Any) -> Any:
    field = Task._meta.get_field(name)
    assert isinstance(field, Field)
    return None if value is None else field.to_python(value)


def _snapshot(tasks: Sequence[Task], action: str) -> list[list[Any]]:
    return [[task.pk, *(_encode(getattr(task, name)) for name in UNDO_FIELDS[action])] for task in tasks]


def _save(tasks: Sequence[Task], fields: Sequence[str], actor: AnyUser) -> None:
    """One UPDATE and one history INSERT for all of them (bulk_update skips auto_now)."""
    now = timezone.now()
    for task in tasks:
        task.updated_at = now
    bulk_update_with_history(
        list(tasks),
        Task,
        [*fields, "updated_at"],
        default_user=person_or_none(actor),
        default_change_reason=current_audit_source(),
    )


def _outcome(*, actor: AnyUser, action: str, tasks: Sequence[Task], before: list[list[Any]]) -> BulkOutcome:
    state = {"action": action, "before": before, "after": _snapshot(tasks, action)}
    return BulkOutcome(count=len(tasks), undo=undo_token(actor=actor, action="tasks", state=state))


def completed_entry_key(task: Task) -> str:
    """The dedupe key of the timeline entry a completion writes (the undo removes it)."""
    assert task.completed_at is not None
    return f"task_completed:{task.pk}:{task.completed_at:%Y%m%d%H%M%S%f}"


def completed_entry(task: Task, actor: AnyUser) -> TimelineDraft:
    """The account timeline's trace of a task marked done, read in the reader's language."""
    return TimelineDraft(
        account=task.account,
        kind="task_completed",
        message=message(gettext_noop("Task done: %(title)s"), title=word(task.title)),
        actor=actor,
        data={"task": task.pk},
        dedupe_key=completed_entry_key(task),
    )


@transaction.atomic
def tasks_bulk_complete(*, actor: AnyUser, task_ids: Collection[Any]) -> BulkOutcome:
    """Mark the tasks done; each leaves a "task done" entry on its account's timeline."""
    tasks = locked_open_tasks(actor=actor, task_ids=task_ids)
    before = _snapshot(tasks, "done")
    now, person = timezone.now(), person_or_none(actor)
    for task in tasks:
        task.status, task.snoozed_until, task.completed_at, task.completed_by = TaskStatus.DONE, None, now, person
    _save(tasks, ["status", "snoozed_until", "completed_at", "completed_by"], actor)
    timeline_record_many([completed_entry(task, actor) for task in tasks])

    def announce() -> None:
        for task in tasks:
            task_completed.send(sender=Task, task=task, actor=actor)

    transaction.on_commit(announce)
    return _outcome(actor=actor, action="done", tasks=tasks, before=before)


@transaction.atomic
def tasks_bulk_snooze(*, actor: AnyUser, task_ids: Collection[Any], until: date) -> BulkOutcome:
    if until <= timezone.localdate():
        raise ValidationError({"until": _("Snooze until a day after today.")})
    tasks = locked_open_tasks(actor=actor, task_ids=task_ids)
    before = _snapshot(tasks, "snooze")
    for task in tasks:
        task.status, task.snoozed_until = TaskStatus.SNOOZED, until
    _save(tasks, ["status", "snoozed_until"], actor)
    return _outcome(actor=actor, action="snooze", tasks=tasks, before=before)


@transaction.atomic
def tasks_bulk_reschedule(*, actor: AnyUser, task_ids: Collection[Any], due_date: date) -> BulkOutcome:
    """A new due date for all of them (today or later)."""
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    tasks = locked_open_tasks(actor=actor, task_ids=task_ids)
    before = _snapshot(tasks, "due")
    for task in tasks:
        task.due_date = due_date
    _save(tasks, ["due_date"], actor)
    return _outcome(actor=actor, action="due", tasks=tasks, before=before)


@transaction.atomic
def tasks_bulk_reassign(*, actor: AnyUser, task_ids: Collection[Any], assignee: User | None) -> BulkOutcome:
    """Give the tasks to ``assignee``: someone the actor may give accounts to (a CSM:
    themselves; a manager: their team; an admin: any CSM or manager). A task given to
    someone other than the account owner stops following the owner."""
    if assignee is None or not assignable_owners(user=actor).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("Not a person you can assign.")})
    tasks = locked_open_tasks(actor=actor, task_ids=task_ids)
    before = _snapshot(tasks, "reassign")
    for task in tasks:
        task.assignee_id, task.follows_owner = assignee.pk, task.account.owner_id == assignee.pk
    _save(tasks, ["assignee", "follows_owner"], actor)
    return _outcome(actor=actor, action="reassign", tasks=tasks, before=before)


def _restorable(state: Any) -> tuple[str, dict[int, list[Any]], dict[int, list[Any]]]:
    try:
        action = state["action"]
        fields = UNDO_FIELDS[action]
        before = {int(row[0]): [_decode(f, v) for f, v in zip(fields, row[1:], strict=True)] for row in state["before"]}
        after = {int(row[0]): [_decode(f, v) for f, v in zip(fields, row[1:], strict=True)] for row in state["after"]}
    except (KeyError, TypeError, ValueError, IndexError, ValidationError) as error:
        raise ValidationError({"undo": _("This cannot be undone.")}) from error
    return action, before, after


@transaction.atomic
def tasks_bulk_undo(*, actor: AnyUser, token: str) -> BulkOutcome:
    """Put back what a bulk task action changed (within ten seconds of it).

    A task someone changed again since is left as it is now; a completion's timeline
    entry is removed with it. Returns how many tasks were restored.
    """
    action, before, after = _restorable(undo_state(actor=actor, action="tasks", token=token))
    fields = UNDO_FIELDS[action]
    tasks = list(task_scope(user=actor).filter(pk__in=sorted(after)).select_for_update(of=("self",)).order_by("pk"))
    restored = [task for task in tasks if [getattr(task, name) for name in fields] == after[task.pk]]
    keys = [completed_entry_key(task) for task in restored] if action == "done" else []
    for task in restored:
        for name, value in zip(fields, before[task.pk], strict=True):
            setattr(task, name, value)
    if restored:
        _save(restored, [name.removesuffix("_id") for name in fields], actor)
    if keys:
        TimelineEntry.objects.filter(kind="task_completed", dedupe_key__in=keys).delete()
    return BulkOutcome(count=len(restored))


@transaction.atomic
def tasks_bulk_create(
    *,
    actor: AnyUser,
    account_ids: Collection[Any],
    title: str,
    due_date: date,
    priority: int = Priority.MEDIUM,
    task_type: str = TaskType.ACTIVITY,
) -> BulkOutcome:
    """The same task on every chosen account (the book's "add a task"), each given to
    the account's owner, else to the actor. All accounts must be in the actor's scope."""
    ids = _ids(account_ids, field="account")
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the task a title.")
    if due_date < timezone.localdate():
        errors["due_date"] = _("The due date cannot be in the past.")
    if priority not in Priority.values:
        errors["priority"] = _("Choose a valid priority.")
    if task_type not in TaskType.values:
        errors["task_type"] = _("Choose a valid type.")
    if errors:
        raise ValidationError(errors)
    accounts = list(account_scope(user=actor).filter(pk__in=ids).only("pk", "name", "owner_id").order_by("pk"))
    found = {account.pk for account in accounts}
    if missing := [pk for pk in ids if pk not in found]:
        raise ValidationError(
            {"account": _("Account #%(id)s is not one you can add tasks to; nothing was added.") % {"id": missing[0]}}
        )
    person = person_or_none(actor)
    if person is None and any(account.owner_id is None for account in accounts):
        raise ValidationError({"account": _("An account without an owner needs a person to take its task.")})
    tasks = [
        Task(
            account=account,
            assignee_id=account.owner_id or getattr(person, "pk", None),
            follows_owner=account.owner_id is not None,
            owner_role=OwnerRole.CSM,
            title=title[:300],
            due_date=due_date,
            priority=priority,
            task_type=task_type,
            trigger=TriggerKind.MANUAL,
            created_by=person,
        )
        for account in accounts
    ]
    started = timezone.now()
    Task.objects.bulk_create(tasks, batch_size=1000)
    created_ids = sorted(task.pk for task in tasks if task.pk is not None)
    if len(created_ids) != len(tasks):  # a database that does not return ids from bulk inserts
        created_ids = sorted(
            Task.objects.filter(
                account_id__in=found, created_at__gte=started, created_by=person, title=title[:300]
            ).values_list("pk", flat=True)
        )
    tasks_history_created(account_ids=found, since=started)
    transaction.on_commit(lambda: tasks_created.send(sender=Task, task_ids=created_ids))
    token = undo_token(actor=actor, action="tasks_created", state={"tasks": created_ids})
    return BulkOutcome(count=len(tasks), undo=token)


@transaction.atomic
def tasks_bulk_create_undo(*, actor: AnyUser, token: str) -> BulkOutcome:
    """Take back the tasks ``tasks_bulk_create`` added, those nobody changed since
    (open, with no change in their history)."""
    state = undo_state(actor=actor, action="tasks_created", token=token)
    try:
        ids = [int(pk) for pk in state["tasks"]]
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError({"undo": _("This cannot be undone.")}) from error
    changed = Task.history.model.objects.filter(id=OuterRef("pk"), history_type="~")
    untouched = task_scope(user=actor).filter(pk__in=ids, status=TaskStatus.OPEN).exclude(Exists(changed))
    deleted = Task.objects.filter(pk__in=list(untouched.values_list("pk", flat=True))).delete()[1]
    return BulkOutcome(count=deleted.get(Task._meta.label, 0))
