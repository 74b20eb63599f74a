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

At scale: the batch is read as plain rows (one query with the contact's, account's and
owner's names, no model instances), the state machine runs over them in memory with the
texts of each (step, language) worked out once, and everything is written set-based
(``outreach.programs.writes``): multi-row inserts of the step runs and the outbox rows,
one UPDATE per resulting state, the timeline entries and tasks in one call each.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, Stakeholder
from core.people import name_from_parts
from health.selectors import with_health

from ..bulk import fetch, table
from ..models import (
    ConditionKind,
    ContactPreference,
    Enrollment,
    EnrollmentStatus,
    Program,
    ProgramStatus,
    ProgramStep,
    StepKind,
    StepRun,
    SurveyResponse,
)
from ..sending import next_allowed
from . import writes
from .emails import Usage, step_subject, usage_by_account

logger = logging.getLogger(__name__)


def dedupe_key(step_id: int, enrollment_id: int) -> str:
    return f"program:{step_id}:{enrollment_id}"


@dataclass(frozen=True)
class RunBatch:
    due: int
    advanced: int
    emails: int
    tasks: int


@dataclass(slots=True)
class Row:
    """One claimed enrolment, as read (and moved on) by the batch."""

    pk: int
    program_id: int
    account_id: int
    stakeholder_id: int
    email: str
    position: int
    enrolled_at: datetime
    contact_name: str
    account_name: str
    owner_id: int | None
    owner_name: str
    status: str = EnrollmentStatus.ACTIVE
    next_action_at: datetime | None = None
    exit_reason: str = ""
    finished_at: datetime | None = None


_ROW_FIELDS = (
    "pk",
    "program_id",
    "account_id",
    "stakeholder_id",
    "email",
    "position",
    "enrolled_at",
    "stakeholder__name",
    "account__name",
    "account__owner_id",
    "account__owner__first_name",
    "account__owner__last_name",
    "account__owner__username",
)


def _rows(token: str) -> list[Row]:
    """The claimed enrolments with the names their emails merge in: one query, plain rows."""
    values = fetch(
        "SELECT e.id, e.program_id, e.account_id, e.stakeholder_id, e.email, e.position, e.enrolled_at, "  # noqa: S608
        "s.name, a.name, a.owner_id, u.first_name, u.last_name, u.username "
        f"FROM {table(Enrollment)} e JOIN {table(Stakeholder)} s ON s.id = e.stakeholder_id "
        f"JOIN {table(Account)} a ON a.id = e.account_id LEFT JOIN {table(User)} u ON u.id = a.owner_id "
        "WHERE e.claim_token = %s ORDER BY e.id",
        [token],
    )
    rows = []
    for pk, program, account, stakeholder, email, position, enrolled, name, account_name, owner, *names in values:
        owner_name = name_from_parts(names[0], names[1], names[2]) if owner is not None else ""
        if isinstance(enrolled, str):  # SQLite: the stored text, UTC
            enrolled = datetime.fromisoformat(enrolled).replace(tzinfo=UTC)
        rows.append(
            Row(
                pk,
                program,
                account,
                stakeholder,
                email,
                position,
                enrolled,
                name or "",
                account_name or "",
                owner,
                owner_name,
            )
        )
    return rows


@dataclass
class Facts:
    """What the batch's branches and emails read, fetched once per batch."""

    prefs: dict[str, dict[str, Any]]
    colours: dict[int, str | None] = field(default_factory=dict)
    answered: dict[int, datetime] = field(default_factory=dict)
    clicked: set[int] = field(default_factory=set)
    usage: dict[int, Usage] = field(default_factory=dict)


def _facts(rows: list[Row], token: str, *, now: datetime) -> Facts:
    """Preferences, health colours, survey answers, clicks and usage of the batch: a query
    each, joined to the claimed rows by their token (an index), no list of values."""
    claimed = Enrollment.objects.filter(claim_token=token)
    prefs: dict[str, dict[str, Any]] = {
        pref["email"]: dict(pref)
        for pref in ContactPreference.objects.filter(email__in=claimed.values("email")).values(
            "email", "unsubscribed_at", "bounced_at", "language", "time_zone"
        )
    }
    facts = Facts(prefs=prefs)
    accounts = Account.objects.filter(pk__in=claimed.values("account_id"))
    facts.colours = dict(with_health(accounts).values_list("pk", "health_colour"))  # type: ignore[misc]
    answers = (
        SurveyResponse.objects.filter(stakeholder_id__in=claimed.values("stakeholder_id"))
        .values("stakeholder_id")
        .annotate(last=Max("responded_at"))
        .order_by()
    )
    facts.answered = {row["stakeholder_id"]: row["last"] for row in answers}
    facts.clicked = set(
        StepRun.objects.filter(enrollment__in=claimed.values("pk"), clicked_at__isnull=False).values_list(
            "enrollment_id", flat=True
        )
    )
    facts.usage = usage_by_account(accounts.values("pk"), today=timezone.localdate(now))
    return facts


def condition_holds(step: ProgramStep, enrollment: Any, facts: Any) -> bool:
    """Whether a branch's condition holds for an enrolment (a ``Row`` or an ``Enrollment``)."""
    if step.condition == ConditionKind.HEALTH:
        return facts.colours.get(enrollment.account_id) in (step.condition_colours or [])
    if step.condition == ConditionKind.SURVEY_ANSWERED:
        last = facts.answered.get(enrollment.stakeholder_id)
        return last is not None and last >= enrollment.enrolled_at
    if step.condition == ConditionKind.CLICKED:
        return enrollment.pk in facts.clicked
    return False


class _Texts:
    """The words of a batch worked out once per language (or per step and language)."""

    def __init__(self) -> None:
        self.neutral: dict[str, tuple[str, str, str]] = {}
        self.subjects: dict[tuple[int, str], str] = {}

    def merge(self, row: Row, language: str, usage: Usage | None) -> dict[str, str]:
        if language not in self.neutral:
            with translation.override(language):
                self.neutral[language] = (_("there"), _("your company"), _("your customer success team"))
        there, company, team = self.neutral[language]
        return {
            "contact_name": row.contact_name.strip() or there,
            "account_name": row.account_name.strip() or company,
            "csm_name": row.owner_name.strip() or team,
            "events_30d": str(usage.events if usage else 0),
            "active_users_30d": str(usage.active_users if usage else 0),
        }

    def subject(self, step: ProgramStep, language: str, merge: dict[str, str]) -> str:
        key = (step.pk, language)
        if key not in self.subjects:
            self.subjects[key] = step_subject(step, language=language, merge={})
        text = self.subjects[key]
        for name, value in merge.items():
            text = text.replace("{" + name + "}", value)
        return text


class _Batch:
    def __init__(
        self, *, now: datetime, steps: dict[int, list[ProgramStep]], facts: Facts, program_names: dict[int, str]
    ) -> None:
        self.now = now
        self.steps = steps
        self.facts = facts
        self.out = writes.Writes(now=now, program_names=program_names)
        self.texts = _Texts()
        self.allowed: dict[str, datetime] = {}  # time zone -> when an email may go

    def _step(self, row: Row) -> ProgramStep | None:
        for step in self.steps.get(row.program_id, []):
            if step.position >= row.position:
                return step
        return None

    def _finish(self, row: Row, status: str, reason: str = "") -> None:
        row.status = status
        row.exit_reason = reason
        row.finished_at = self.now
        row.next_action_at = None

    def advance(self, row: Row) -> None:
        """Do the enrolment's due steps until it waits or finishes."""
        for _guard in range(len(self.steps.get(row.program_id, [])) + 1):
            step = self._step(row)
            if step is None:
                self._finish(row, EnrollmentStatus.DONE)
                return
            if step.kind == StepKind.EMAIL:
                if not self._email(row, step):
                    return
            elif step.kind == StepKind.WAIT:
                self.out.run(row.pk, step.pk, "waited")
                row.position = step.position + 1
                row.next_action_at = self.now + timedelta(days=step.wait_days or 1)
                return
            elif step.kind == StepKind.BRANCH:
                holds = condition_holds(step, row, self.facts)
                self.out.run(row.pk, step.pk, "branch_yes" if holds else "branch_no")
                row.position = step.goto_position if holds and step.goto_position else step.position + 1
            elif step.kind == StepKind.TASK:
                self._task(row, step)
                row.position = step.position + 1
            else:
                self.out.run(row.pk, step.pk, "exited")
                self._finish(row, EnrollmentStatus.DONE, "exit_step")
                return
        self._finish(row, EnrollmentStatus.DONE)

    def _email(self, row: Row, step: ProgramStep) -> bool:
        """Queue the step's email; False when the enrolment stops here (deferred or left)."""
        pref = self.facts.prefs.get(row.email) or {}
        if pref.get("unsubscribed_at") or pref.get("bounced_at"):
            reason = "unsubscribed" if pref.get("unsubscribed_at") else "bounced"
            self.out.run(row.pk, step.pk, reason)
            self._finish(row, EnrollmentStatus.EXITED, reason)
            return False
        zone = pref.get("time_zone") or ""
        if zone not in self.allowed:
            self.allowed[zone] = next_allowed(self.now, zone)
        when = self.allowed[zone]
        if when > self.now:
            row.next_action_at = when  # quiet hours: deferred, not dropped
            return False
        language = pref.get("language") or settings.LANGUAGE_CODE
        merge = self.texts.merge(row, language, self.facts.usage.get(row.account_id))
        subject = self.texts.subject(step, language, merge)
        self.out.email(row, step, language=language, subject=subject, key=dedupe_key(step.pk, row.pk))
        row.position = step.position + 1
        return True

    def _task(self, row: Row, step: ProgramStep) -> None:
        if row.owner_id is None:
            self.out.run(row.pk, step.pk, "task_no_owner")
            return
        merge = self.texts.merge(row, settings.LANGUAGE_CODE, None)
        with translation.override(settings.LANGUAGE_CODE):
            title = step.task_title or _("Follow up with {contact_name} ({account_name})")
        for name, value in merge.items():
            title = title.replace("{" + name + "}", value)
        self.out.task(row, step, title=title[:300], merge=merge, key=dedupe_key(step.pk, row.pk))


def _claim(now: datetime, limit: int) -> tuple[int, str]:
    """Mark a batch of due enrolments with a fresh token: one UPDATE, the rows found by the
    token's index afterwards. The claim filters on the row's own columns (no join), so
    PostgreSQL re-checks them on the row a concurrent batch just committed, and finds it
    moved on."""
    due = Enrollment.objects.filter(
        status=EnrollmentStatus.ACTIVE, next_action_at__lte=now, program__status=ProgramStatus.ACTIVE
    )
    chosen = due.order_by("next_action_at", "pk").values("pk")[:limit]
    token = uuid.uuid4().hex
    marked = Enrollment.objects.filter(pk__in=chosen, status=EnrollmentStatus.ACTIVE, next_action_at__lte=now).update(
        claim_token=token
    )
    return marked, token


@transaction.atomic
def program_steps_run_batch(*, now: datetime | None = None, limit: int | None = None) -> RunBatch:
    """Claim and advance one batch of due enrolments (see the module docstring)."""
    now = now or timezone.now()
    due, token = _claim(now, limit or settings.HOURGLASS_SURVEY_BATCH_SIZE)
    if not due:
        return RunBatch(0, 0, 0, 0)
    rows = _rows(token)
    if not rows:
        return RunBatch(due, 0, 0, 0)
    programs = {row.program_id for row in rows}
    steps: dict[int, list[ProgramStep]] = defaultdict(list)
    for step in ProgramStep.objects.filter(program_id__in=programs).order_by("position"):
        steps[step.program_id].append(step)
    names = dict(Program.objects.filter(pk__in=programs).values_list("pk", "name"))
    batch = _Batch(now=now, steps=steps, facts=_facts(rows, token, now=now), program_names=names)
    for row in rows:
        batch.advance(row)
    with translation.override(settings.LANGUAGE_CODE):
        batch.out.write(rows, token=token)
    return RunBatch(due, len(rows), len(batch.out.emails), len(batch.out.tasks))


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
