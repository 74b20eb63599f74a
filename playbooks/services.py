"""Writes of the playbooks app: firing playbooks and working tasks.

Idempotency: a playbook step becomes a task once per account and episode. The unique
constraint ``task_step_once_per_episode`` is the lock, and tasks are inserted with
``bulk_create(ignore_conflicts=True)``, so a sweep that runs twice, two workers racing,
or a signal delivered again all end with the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.models import Account
from accounts.segments import arr_range_for_segment, segment_for_arr
from accounts.selectors import account_scope, assignable_owners
from accounts.timeline import timeline_record_many, touchpoint_log
from core.audit_source import current_audit_source
from core.people import person_or_none
from core.types import AnyUser

from .assignees import active_handlers, assignee_for, team_leads
from .bulk import completed_entry
from .history import tasks_history_created
from .models import (
    OPEN_STATUSES,
    OwnerRole,
    Playbook,
    Priority,
    Stage,
    Task,
    TaskComment,
    TaskStatus,
    TaskType,
    TriggerKind,
    accounts_q,
)
from .rules.evaluate import matching_account_ids
from .signals import Firing, playbooks_fired, task_completed, tasks_created


@dataclass(frozen=True)
class FireRequest:
    account: Account
    trigger: str
    episode_key: str
    # Due offsets count from here (go-live for the promotion month, the signal's day …).
    trigger_date: date


def playbooks_fire(requests: Sequence[FireRequest], *, today: date | None = None, only: Playbook | None = None) -> int:
    """Create the tasks of every active playbook matching each request; returns how many were new.

    A task is never due before the day it is created: a stage noticed late (first sweep
    after an import) gets its tasks due today rather than already overdue. A playbook with
    conditions fires only for the accounts they match (one query per such playbook);
    ``only``: that playbook alone, its conditions already checked (the rules sweep).
    """
    if not requests:
        return 0
    today = today or timezone.localdate()
    triggers = {r.trigger for r in requests}
    chosen = Playbook.objects.filter(pk=only.pk) if only is not None else Playbook.objects.filter(trigger__in=triggers)
    playbooks = list(chosen.filter(active=True).prefetch_related("steps"))
    requested = {r.account.pk for r in requests}
    matching = {} if only is not None else matching_account_ids(playbooks, requested, today=today)
    by_trigger: dict[str, list[Playbook]] = {}
    for playbook in playbooks:
        by_trigger.setdefault(playbook.trigger, []).append(playbook)
    leads = team_leads({r.account.owner_id for r in requests if r.account.owner_id})
    handlers = active_handlers((r.account for r in requests), steps=(s for p in playbooks for s in p.steps.all()))
    tasks: list[Task] = []
    for request in requests:
        account = request.account
        segment = segment_for_arr(account.arr)
        for playbook in by_trigger.get(request.trigger, []):
            if not playbook.applies_to(arr=account.arr, segment=segment):
                continue
            if playbook.pk in matching and account.pk not in matching[playbook.pk]:
                continue
            for step in playbook.steps.all():
                assignee_id, follows_owner = assignee_for(step, account, leads=leads, handlers=handlers)
                tasks.append(
                    Task(
                        account=account,
                        assignee_id=assignee_id,
                        follows_owner=follows_owner,
                        owner_role=step.owner_role,
                        title=step.title,
                        description=step.description,
                        checklist=[{"text": str(text), "done": False} for text in step.checklist or []],
                        due_date=max(request.trigger_date + timedelta(days=step.due_offset_days), today),
                        priority=step.priority,
                        task_type=step.task_type,
                        playbook=playbook,
                        playbook_version=playbook.version,
                        step=step,
                        trigger=request.trigger,
                        episode_key=request.episode_key[:120],
                    )
                )
    if not tasks:
        return 0
    started = timezone.now()
    Task.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=1000)
    tasks_history_created(account_ids={t.account_id for t in tasks}, since=started)
    account_ids = sorted({t.account_id for t in tasks})
    transaction.on_commit(lambda: tasks_created.send(sender=Task, account_ids=account_ids, since=started))
    # What was new, per playbook, account and episode (a conflict inserted nothing): one
    # grouped query gives both the count and the firings the signal carries.
    triggers_of = {playbook.pk: playbook.trigger for playbook in playbooks}
    new = (
        Task.objects.filter(account_id__in=account_ids, created_at__gte=started, playbook_id__in=list(triggers_of))
        .values_list("playbook_id", "account_id", "episode_key")
        .annotate(created=Count("pk"))
        .order_by()
    )
    firings = [
        Firing(playbook_id=pb, account_id=acc, trigger=triggers_of[pb], episode_key=ep, fired_at=started, tasks=n)
        for pb, acc, ep, n in new
    ]
    if firings:
        transaction.on_commit(lambda: playbooks_fired.send(sender=Playbook, firings=firings))
    return sum(firing.tasks for firing in firings)


@transaction.atomic
def playbook_fire(*, account: Account, trigger: str, episode_key: str, trigger_date: date | None = None) -> int:
    """Fire the playbooks of ``trigger`` for one account, once per ``episode_key``."""
    today = timezone.localdate()
    return playbooks_fire(
        [FireRequest(account=account, trigger=trigger, episode_key=episode_key, trigger_date=trigger_date or today)],
        today=today,
    )


# Executive value reports go to live customers only.
REPORT_STAGES = (Stage.STABILISATION, Stage.STEADY, Stage.RENEWAL_WINDOW, Stage.RENEWED)


def report_periods(today: date) -> list[tuple[str, str, date]]:
    """``(trigger, episode key, period start)`` of the current month and quarter."""
    quarter = (today.month - 1) // 3
    return [
        (TriggerKind.EXEC_REPORT_MONTHLY, f"month:{today:%Y-%m}", today.replace(day=1)),
        (
            TriggerKind.EXEC_REPORT_QUARTERLY,
            f"quarter:{today.year}-Q{quarter + 1}",
            date(today.year, quarter * 3 + 1, 1),
        ),
    ]


def _applies_q(playbooks: Sequence[Playbook]) -> Q:
    """The SQL twin of ``Playbook.applies_to``, OR-ed over the playbooks."""
    condition = Q(pk__in=[])
    for playbook in playbooks:
        part = Q()
        if playbook.segments:
            segments = Q(pk__in=[])
            for segment in playbook.segments:
                lower, upper = arr_range_for_segment(segment)
                band = Q()
                if lower is not None:
                    band &= Q(arr__gte=lower)
                if upper is not None:
                    band &= Q(arr__lt=upper)
                segments |= band
            part &= segments
        if playbook.arr_min is not None:
            part &= Q(arr__gte=playbook.arr_min)
        if playbook.arr_max is not None:
            part &= Q(arr__lt=playbook.arr_max)
        condition |= part
    return condition


def recurring_reports_fire(*, account_ids: Iterable[int] | None = None, today: date) -> int:
    """Monthly / quarterly report playbooks: fired once per period, for live accounts.

    Accounts that already have the period's task are skipped in SQL, so the daily sweep
    does not rebuild thousands of tasks only to have them ignored as conflicts.
    """
    created = 0
    for trigger, episode_key, period_start in report_periods(today):
        playbooks = list(Playbook.objects.filter(trigger=trigger, active=True))
        if not playbooks:
            continue
        # Only the accounts some playbook applies to (segment, ARR band): the daily sweep
        # must not load every live account only for ``applies_to`` to drop it.
        accounts = (
            Account.objects.filter(lifecycle__stage__in=REPORT_STAGES)
            .filter(_applies_q(playbooks))
            .exclude(Exists(Task.objects.filter(account=OuterRef("pk"), trigger=trigger, episode_key=episode_key)))
        )
        if account_ids is not None:
            accounts = accounts.filter(accounts_q(account_ids))
        created += playbooks_fire(
            [
                FireRequest(account=a, trigger=trigger, episode_key=episode_key, trigger_date=period_start)
                for a in accounts
            ],
            today=today,
        )
    return created


def tasks_follow_owner(*, account_ids: Iterable[int] | None = None) -> int:
    """Move open tasks that follow the owner to the account's current owner (set-based).

    The periodic safety net behind the post_save receiver: it also catches owners
    changed by ``QuerySet.update()`` or bulk imports, which send no signal.
    """
    tasks = Task.objects.filter(follows_owner=True, status__in=OPEN_STATUSES, account__owner__isnull=False).exclude(
        assignee_id=F("account__owner_id")
    )
    if account_ids is not None:
        tasks = tasks.filter(accounts_q(account_ids, "account_id"))
    return Task.objects.filter(pk__in=list(tasks.values_list("pk", flat=True))).update(
        assignee_id=Subquery(Account.objects.filter(pk=OuterRef("account_id")).values("owner_id")[:1]),
        updated_at=timezone.now(),
    )


def tasks_wake_snoozed(*, today: date | None = None, account_ids: Iterable[int] | None = None) -> int:
    """Snoozed tasks whose day has come are open again."""
    today = today or timezone.localdate()
    tasks = Task.objects.filter(status=TaskStatus.SNOOZED, snoozed_until__lte=today)
    if account_ids is not None:
        tasks = tasks.filter(accounts_q(account_ids, "account_id"))
    return tasks.update(status=TaskStatus.OPEN, snoozed_until=None, updated_at=timezone.now())


def _lock(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("account").get(pk=task.pk)


def _require_open(task: Task) -> None:
    if not task.is_open:
        raise ValidationError({"status": _("This task is already closed.")})


@transaction.atomic
def task_create(
    *,
    actor: AnyUser,
    account: Account,
    title: str,
    due_date: date,
    assignee: User | None = None,
    description: str = "",
    priority: int = Priority.MEDIUM,
    task_type: str = TaskType.ACTIVITY,
    checklist: Sequence[str] = (),
) -> Task:
    """A task created by hand (page or API), on an account in the actor's scope.

    The assignee (default: the account owner, else the actor) must be someone the actor
    may give accounts to: a CSM, themselves; a manager, their team; an admin, anyone.
    Errors name the field, so the form and the API can show them in place.
    """
    errors: dict[str, str] = {}
    if not account_scope(user=actor).filter(pk=account.pk).exists():
        errors["account"] = _("You cannot create tasks on this account.")
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the task a title.")
    if priority not in Priority.values:
        errors["priority"] = _("Choose a valid priority.")
    if task_type not in TaskType.values:
        errors["task_type"] = _("Choose a valid type.")
    assignee = assignee or account.owner or person_or_none(actor)
    if assignee is None or not assignable_owners(user=actor).filter(pk=assignee.pk).exists():
        # Not naming them: the same words as for an id that does not exist.
        errors["assignee"] = _("Not a person you can assign.")
    if errors or assignee is None:
        raise ValidationError(errors)
    task = Task.objects.create(
        account=account,
        assignee=assignee,
        follows_owner=assignee.pk == account.owner_id,
        owner_role=OwnerRole.CSM,
        title=title[:300],
        description=description.strip(),
        due_date=due_date,
        priority=priority,
        task_type=task_type,
        checklist=[{"text": text.strip()[:300], "done": False} for text in checklist if text.strip()],
        trigger=TriggerKind.MANUAL,
        created_by=person_or_none(actor),
    )
    transaction.on_commit(lambda: tasks_created.send(sender=Task, task_ids=[task.pk]))
    return task


@transaction.atomic
def task_complete(*, task: Task, actor: AnyUser, log_touchpoint: dict[str, Any] | None = None) -> Task:
    """Mark a task done; with ``log_touchpoint`` (kind, title, body, outcome …) log it too.

    Both happen in one transaction: a touchpoint that fails validation leaves the task
    open, so the person can fix the form and try again. Without a touchpoint, a "task
    done" entry is the trace on the account timeline (the touchpoint is it otherwise).
    """
    task = _lock(task)
    _require_open(task)
    if log_touchpoint:
        entry = touchpoint_log(actor=actor, account=task.account, **log_touchpoint)
        task.touchpoint = entry
    task.status = TaskStatus.DONE
    task.snoozed_until = None
    task.completed_at = timezone.now()
    task.completed_by = person_or_none(actor)
    task.save()
    if not log_touchpoint:
        timeline_record_many([completed_entry(task, actor)])
    transaction.on_commit(lambda: task_completed.send(sender=Task, task=task, actor=actor))
    return task


@transaction.atomic
def task_snooze(*, task: Task, until: date, actor: AnyUser | None = None) -> Task:
    task = _lock(task)
    _require_open(task)
    if until <= timezone.localdate():
        raise ValidationError({"until": _("Snooze until a day after today.")})
    task.status = TaskStatus.SNOOZED
    task.snoozed_until = until
    task.save(update_fields=["status", "snoozed_until", "updated_at"])
    return task


@transaction.atomic
def task_set_status(*, task: Task, status: str, actor: AnyUser | None = None) -> Task:
    """Open, in progress or cancelled (done and snoozed have their own services)."""
    if status not in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED):
        raise ValidationError({"status": _("Use complete or snooze for that.")})
    task = _lock(task)
    _require_open(task)
    task.status = status
    task.snoozed_until = None
    task.save(update_fields=["status", "snoozed_until", "updated_at"])
    return task


@transaction.atomic
def task_checklist_toggle(*, task: Task, index: int, done: bool) -> Task:
    task = _lock(task)
    checklist = list(task.checklist or [])
    if not 0 <= index < len(checklist):
        raise ValidationError({"checklist": _("No such checklist item.")})
    checklist[index] = {**checklist[index], "done": bool(done)}
    task.checklist = checklist
    task.save(update_fields=["checklist", "updated_at"])
    return task


@transaction.atomic
def task_comment_add(*, task: Task, author: Any, body: str) -> TaskComment:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment first.")})
    return TaskComment.objects.create(task=task, author=author, body=body[:5000])


@transaction.atomic
def task_reassign(*, tasks: Sequence[Task], assignee: User | None, actor: AnyUser) -> int:
    """Give open tasks to ``assignee`` (one or many). The caller fetched them in scope.

    The assignee must be someone the actor may give accounts to (a CSM: themselves; a
    manager: their team; an admin: any CSM or manager). A task given to someone other
    than the account owner stops following the owner.
    """
    if assignee is None or not assignable_owners(user=actor).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("Not a person you can assign.")})
    ids = sorted(t.pk for t in tasks)
    # Lock in primary-key order so two bulk reassignments cannot deadlock.
    locked = list(Task.objects.select_for_update().filter(pk__in=ids, status__in=OPEN_STATUSES).order_by("pk"))
    owners = dict(Account.objects.filter(pk__in={t.account_id for t in locked}).values_list("pk", "owner_id"))
    now = timezone.now()
    for task in locked:
        task.updated_at = now
        task.assignee_id = assignee.pk
        task.follows_owner = owners.get(task.account_id) == assignee.pk
    bulk_update_with_history(
        locked,
        Task,
        ["assignee", "follows_owner", "updated_at"],
        default_user=person_or_none(actor),
        default_change_reason=current_audit_source(),
    )
    return len(locked)
