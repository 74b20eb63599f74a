"""Running program steps: due enrolments claimed and advanced in batches, exactly once.

``program_steps_run_batch`` works in one transaction per batch: it claims the due
enrolments of running programs (``UPDATE … WHERE status = 'active' AND next_action_at <=
now``: a second worker, blocked on the same rows, finds them moved on and claims
nothing) and advances each one through its steps until it must wait (a wait step, quiet
hours before an email) or finishes. Every step done writes a ``StepRun`` (unique per
enrolment and step; jumps go forward only, so a step is passed once), every email is
queued in the outbox with the dedupe key ``program:<step id>:<enrolment id>``, and every
task carries the episode ``program:<step id>:<enrolment id>``. A worker killed mid-batch
rolls the batch back: the enrolments stay due and the next run does the steps once.
A paused program's enrolments are not claimed; they continue where they were on resume.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from core.outbox import EmailDraft, emails_enqueue
from health.selectors import with_health
from playbooks.models import Task, TriggerKind
from playbooks.signals import tasks_created

from ..models import (
    ConditionKind,
    ContactPreference,
    Enrollment,
    EnrollmentStatus,
    ProgramStatus,
    ProgramStep,
    StepKind,
    StepRun,
    SurveyResponse,
)
from ..sending import next_allowed
from .emails import PROGRAM_RENDERER, program_merge, step_subject, usage_by_account

logger = logging.getLogger(__name__)


def dedupe_key(step_id: int, enrollment_id: int) -> str:
    return f"program:{step_id}:{enrollment_id}"


@dataclass(frozen=True)
class RunBatch:
    due: int
    advanced: int
    emails: int
    tasks: int


@dataclass
class _Facts:
    """What the batch's branches and emails read, fetched once per batch."""

    prefs: dict[str, dict[str, Any]]
    colours: dict[int, str | None] = field(default_factory=dict)
    answered: dict[int, datetime] = field(default_factory=dict)
    clicked: set[int] = field(default_factory=set)


def _facts(enrollments: list[Enrollment]) -> _Facts:
    emails = {enrollment.email for enrollment in enrollments}
    prefs: dict[str, dict[str, Any]] = {
        pref["email"]: dict(pref)
        for pref in ContactPreference.objects.filter(email__in=emails).values(
            "email", "unsubscribed_at", "bounced_at", "language", "time_zone"
        )
    }
    facts = _Facts(prefs=prefs)
    account_ids = {enrollment.account_id for enrollment in enrollments}
    facts.colours = dict(with_health(Account.objects.filter(pk__in=account_ids)).values_list("pk", "health_colour"))  # type: ignore[misc]
    answers = (
        SurveyResponse.objects.filter(stakeholder_id__in={e.stakeholder_id for e in enrollments})
        .values("stakeholder_id")
        .annotate(last=Max("responded_at"))
        .order_by()
    )
    facts.answered = {row["stakeholder_id"]: row["last"] for row in answers}
    facts.clicked = set(
        StepRun.objects.filter(enrollment__in=[e.pk for e in enrollments], clicked_at__isnull=False).values_list(
            "enrollment_id", flat=True
        )
    )
    return facts


def condition_holds(step: ProgramStep, enrollment: Enrollment, facts: _Facts) -> bool:
    if step.condition == ConditionKind.HEALTH:
        return facts.colours.get(enrollment.account_id) in (step.condition_colours or [])
    if step.condition == ConditionKind.SURVEY_ANSWERED:
        last = facts.answered.get(enrollment.stakeholder_id)
        return last is not None and last >= enrollment.enrolled_at
    if step.condition == ConditionKind.CLICKED:
        return enrollment.pk in facts.clicked
    return False


class _Batch:
    def __init__(self, *, now: datetime, steps: dict[int, list[ProgramStep]], facts: _Facts) -> None:
        self.now = now
        self.steps = steps
        self.facts = facts
        self.runs: list[StepRun] = []
        self.drafts: list[tuple[StepRun, EmailDraft]] = []
        self.tasks: list[tuple[StepRun, Task]] = []
        self.usage: dict[int, Any] = {}
        self.existing_tasks: set[str] = set()

    def _step(self, enrollment: Enrollment) -> ProgramStep | None:
        for step in self.steps.get(enrollment.program_id, []):
            if step.position >= enrollment.position:
                return step
        return None

    def _after(self, enrollment: Enrollment, step: ProgramStep, position: int | None = None) -> None:
        enrollment.position = position if position is not None else step.position + 1

    def _record(self, enrollment: Enrollment, step: ProgramStep, outcome: str, language: str = "") -> StepRun:
        run = StepRun(enrollment=enrollment, step=step, outcome=outcome, language=language, created_at=self.now)
        self.runs.append(run)
        return run

    def _finish(self, enrollment: Enrollment, status: str, reason: str = "") -> None:
        enrollment.status = status
        enrollment.exit_reason = reason
        enrollment.finished_at = self.now
        enrollment.next_action_at = None

    def advance(self, enrollment: Enrollment) -> None:
        """Do the enrolment's due steps until it waits or finishes."""
        for _guard in range(len(self.steps.get(enrollment.program_id, [])) + 1):
            step = self._step(enrollment)
            if step is None:
                self._finish(enrollment, EnrollmentStatus.DONE)
                return
            if step.kind == StepKind.EMAIL:
                if not self._email(enrollment, step):
                    return
            elif step.kind == StepKind.WAIT:
                self._record(enrollment, step, "waited")
                self._after(enrollment, step)
                enrollment.next_action_at = self.now + timedelta(days=step.wait_days or 1)
                return
            elif step.kind == StepKind.BRANCH:
                holds = condition_holds(step, enrollment, self.facts)
                self._record(enrollment, step, "branch_yes" if holds else "branch_no")
                self._after(enrollment, step, step.goto_position if holds and step.goto_position else None)
            elif step.kind == StepKind.TASK:
                self._task(enrollment, step)
                self._after(enrollment, step)
            else:
                self._record(enrollment, step, "exited")
                self._finish(enrollment, EnrollmentStatus.DONE, "exit_step")
                return
        self._finish(enrollment, EnrollmentStatus.DONE)

    def _email(self, enrollment: Enrollment, step: ProgramStep) -> bool:
        """Queue the step's email; False when the enrolment stops here (deferred or left)."""
        pref = self.facts.prefs.get(enrollment.email) or {}
        if pref.get("unsubscribed_at") or pref.get("bounced_at"):
            reason = "unsubscribed" if pref.get("unsubscribed_at") else "bounced"
            self._record(enrollment, step, reason)
            self._finish(enrollment, EnrollmentStatus.EXITED, reason)
            return False
        when = next_allowed(self.now, pref.get("time_zone") or "")
        if when > self.now:
            enrollment.next_action_at = when  # quiet hours: deferred, not dropped
            return False
        language = pref.get("language") or settings.LANGUAGE_CODE
        with translation.override(language):
            merge = program_merge(
                stakeholder=enrollment.stakeholder,
                account=enrollment.account,
                usage=self.usage.get(enrollment.account_id),
            )
        run = self._record(enrollment, step, "sent", language)
        draft = EmailDraft(
            dedupe_key=dedupe_key(step.pk, enrollment.pk),
            to=[enrollment.email],
            subject=step_subject(step, language=language, merge=merge),
            render_with=PROGRAM_RENDERER,
            render_args={"enrollment_id": enrollment.pk, "step_id": step.pk},
        )
        self.drafts.append((run, draft))
        self._after(enrollment, step)
        return True

    def _task(self, enrollment: Enrollment, step: ProgramStep) -> None:
        owner = enrollment.account.owner
        episode = dedupe_key(step.pk, enrollment.pk)
        if owner is None or episode in self.existing_tasks:
            self._record(enrollment, step, "task_no_owner" if owner is None else "task_created")
            return
        with translation.override(settings.LANGUAGE_CODE):
            merge = program_merge(stakeholder=enrollment.stakeholder, account=enrollment.account, usage=None)
            title = step.task_title or _("Follow up with {contact_name} ({account_name})")
            for name, value in merge.items():
                title = title.replace("{" + name + "}", value)
            description = _("Created by the program “%(program)s” for %(contact)s <%(email)s>.") % {
                "program": enrollment.program.name,
                "contact": merge["contact_name"],
                "email": enrollment.email,
            }
        task = Task(
            account=enrollment.account,
            assignee=owner,
            follows_owner=True,
            title=title[:300],
            description=description,
            due_date=timezone.localdate(self.now) + timedelta(days=step.task_due_days),
            trigger=TriggerKind.MANUAL,
            episode_key=episode,
        )
        self.tasks.append((self._record(enrollment, step, "task_created"), task))

    def write(self, enrollments: list[Enrollment]) -> None:
        messages = emails_enqueue([draft for _run, draft in self.drafts]) if self.drafts else {}
        for run, draft in self.drafts:
            run.email_message = messages.get(draft.dedupe_key)
        created = Task.objects.bulk_create([task for _run, task in self.tasks])
        for (run, _task), task in zip(self.tasks, created, strict=True):
            run.task = task
        StepRun.objects.bulk_create(self.runs, ignore_conflicts=True)
        # Most of a batch ends in the same state (the same wait): one UPDATE per state, not
        # bulk_update's CASE per row.
        states: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for e in enrollments:
            states[(e.status, e.position, e.next_action_at, e.exit_reason, e.finished_at)].append(e.pk)
        for (status, position, next_action_at, reason, finished_at), ids in states.items():
            Enrollment.objects.filter(pk__in=ids).update(
                status=status,
                position=position,
                next_action_at=next_action_at,
                exit_reason=reason,
                finished_at=finished_at,
                claim_token="",
            )
        task_ids = [task.pk for task in created]
        if task_ids:
            transaction.on_commit(lambda: tasks_created.send(sender=Task, task_ids=task_ids))


@transaction.atomic
def program_steps_run_batch(*, now: datetime | None = None, limit: int | None = None) -> RunBatch:
    """Claim and advance one batch of due enrolments (see the module docstring)."""
    now = now or timezone.now()
    limit = limit or settings.HOURGLASS_SURVEY_BATCH_SIZE
    due = Enrollment.objects.filter(
        status=EnrollmentStatus.ACTIVE, next_action_at__lte=now, program__status=ProgramStatus.ACTIVE
    )
    ids = list(due.order_by("next_action_at", "pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return RunBatch(0, 0, 0, 0)
    token = uuid.uuid4().hex
    # The claim filters on the row's own columns (no join), so PostgreSQL re-checks them on
    # the row a concurrent batch just committed, and finds it moved on.
    Enrollment.objects.filter(pk__in=ids, status=EnrollmentStatus.ACTIVE, next_action_at__lte=now).update(
        claim_token=token
    )
    enrollments = list(
        Enrollment.objects.filter(claim_token=token)
        .select_related("account__owner", "stakeholder", "program")
        .order_by("pk")
    )
    if not enrollments:
        return RunBatch(len(ids), 0, 0, 0)
    steps: dict[int, list[ProgramStep]] = defaultdict(list)
    for step in ProgramStep.objects.filter(program_id__in={e.program_id for e in enrollments}).order_by("position"):
        steps[step.program_id].append(step)
    batch = _Batch(now=now, steps=steps, facts=_facts(enrollments))
    batch.usage = usage_by_account(sorted({e.account_id for e in enrollments}), today=timezone.localdate(now))
    keys = [dedupe_key(step.pk, e.pk) for e in enrollments for step in steps[e.program_id] if step.kind == "task"]
    batch.existing_tasks = set(Task.objects.filter(episode_key__in=keys).values_list("episode_key", flat=True))
    for enrollment in enrollments:
        batch.advance(enrollment)
    batch.write(enrollments)
    return RunBatch(len(ids), len(enrollments), len(batch.drafts), len(batch.tasks))


def program_steps_run(*, now: datetime | None = None, max_batches: int = 50) -> int:
    """Advance due enrolments batch after batch in this process; returns how many."""
    advanced = 0
    for _batch in range(max_batches):
        batch = program_steps_run_batch(now=now)
        if batch.due == 0:
            break
        advanced += batch.advanced
    if advanced:
        logger.info("programs: %s enrolments advanced", advanced)
    return advanced
