"""Writes of tech-touch programs: created, edited, started, paused, resumed; test sends.

Managers and admins manage programs (``outreach.access.can_manage_surveys``); the beat
enrols and runs them (``enrol``, ``runner``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Account
from core.outbox import email_enqueue
from core.people import person_or_none
from core.types import AnyUser

from ..access import can_manage_surveys
from ..models import (
    ConditionKind,
    Enrollment,
    Program,
    ProgramEntry,
    ProgramStatus,
    ProgramStep,
    StepKind,
    StepRun,
)
from .emails import step_email
from .enrol import colours_clean, program_audience_clean

STEP_FIELDS = (
    "position",
    "kind",
    "subject_en",
    "body_en",
    "subject_zh_hans",
    "body_zh_hans",
    "link_url",
    "link_text_en",
    "link_text_zh_hans",
    "wait_days",
    "condition",
    "condition_colours",
    "goto_position",
    "task_title",
    "task_due_days",
    "task_type",
)


def _require_manager(actor: AnyUser) -> None:
    if not can_manage_surveys(actor):
        raise PermissionDenied


def _step_errors(step: ProgramStep, positions: set[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if step.kind == StepKind.EMAIL and not (step.subject_en.strip() and step.body_en.strip()):
        errors["body_en"] = _("An email step needs an English subject and text.")
    if step.kind == StepKind.WAIT and not step.wait_days:
        errors["wait_days"] = _("Say how many days to wait.")
    if step.kind == StepKind.BRANCH:
        if step.condition not in ConditionKind.values:
            errors["condition"] = _("Choose the condition of the branch.")
        elif step.condition == ConditionKind.HEALTH and not step.condition_colours:
            errors["condition_colours"] = _("Choose at least one health colour.")
        if step.goto_position is None or step.goto_position <= step.position or step.goto_position not in positions:
            errors["goto_position"] = _("Jump forward, to a later step of this program.")
    return errors


def _steps_build(program: Program, steps: Sequence[Mapping[str, Any]]) -> list[ProgramStep]:
    if not steps:
        raise ValidationError({"steps": _("A program needs at least one step.")})
    existing = {step.pk: step for step in program.steps.all()} if program.pk else {}
    built: list[ProgramStep] = []
    for raw in steps:
        unknown = set(raw) - set(STEP_FIELDS) - {"pk"}
        if unknown:
            raise ValueError(f"unknown step fields {sorted(unknown)}")
        step = existing.get(raw.get("pk")) or ProgramStep(program=program)  # type: ignore[arg-type]
        for name in STEP_FIELDS:
            if name in raw:
                setattr(step, name, raw[name])
        step.condition_colours = colours_clean(step.condition_colours, field="condition_colours")
        built.append(step)
    positions = [step.position for step in built]
    if len(set(positions)) != len(positions):
        raise ValidationError({"steps": _("Two steps have the same position.")})
    for step in built:
        errors = _step_errors(step, set(positions))
        if errors:
            raise ValidationError({name: f"{_('Step')} {step.position}: {text}" for name, text in errors.items()})
        step.full_clean(exclude=["program"])
    return built


def _steps_save(program: Program, built: list[ProgramStep]) -> None:
    kept = {step.pk for step in built if step.pk}
    removed = program.steps.exclude(pk__in=kept)
    if StepRun.objects.filter(step__in=removed).exists():
        raise ValidationError({"steps": _("A step that contacts already passed cannot be removed.")})
    removed.delete()
    # Positions are unique: park the kept steps out of the way before renumbering.
    for offset, step in enumerate(sorted(built, key=lambda s: s.pk or 0)):
        if step.pk:
            ProgramStep.objects.filter(pk=step.pk).update(position=10000 + offset)
    for step in built:
        step.program = program
        step.save()


@transaction.atomic
def program_save(
    *,
    actor: AnyUser,
    program: Program | None = None,
    name: str,
    audience: Mapping[str, Any],
    entry: str = ProgramEntry.ALWAYS,
    entry_colours: Sequence[str] = (),
    steps: Sequence[Mapping[str, Any]],
) -> Program:
    """Create or edit a program and its steps (``steps``: dicts of ``STEP_FIELDS``, with
    ``pk`` for a step that exists; one left out is removed unless contacts passed it)."""
    _require_manager(actor)
    program = program or Program(created_by=person_or_none(actor))
    program.name = (name or "").strip()
    if not program.name:
        raise ValidationError({"name": _("Give the program a name.")})
    program.audience = program_audience_clean(audience)
    if entry not in ProgramEntry.values:
        raise ValidationError({"entry": _("Choose a valid entry condition.")})
    program.entry = entry
    program.entry_colours = colours_clean(entry_colours, field="entry_colours")
    if entry == ProgramEntry.HEALTH and not program.entry_colours:
        raise ValidationError({"entry_colours": _("Choose at least one health colour.")})
    program.full_clean(exclude=["created_by"])
    built = _steps_build(program, steps)
    program.save()
    _steps_save(program, built)
    return program


@transaction.atomic
def program_set_status(*, program: Program, actor: AnyUser, status: str) -> Program:
    """Start or resume (``active``) or pause a program. Paused, no step runs; resumed,
    each contact continues where they were (steps that came due meanwhile run then)."""
    _require_manager(actor)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if status not in (ProgramStatus.ACTIVE, ProgramStatus.PAUSED):
        raise ValidationError({"status": _("Choose to run or to pause the program.")})
    if status == ProgramStatus.ACTIVE and not program.steps.exists():
        raise ValidationError({"status": _("A program needs at least one step.")})
    if status == ProgramStatus.PAUSED and program.status != ProgramStatus.ACTIVE:
        raise ValidationError({"status": _("Only a running program can be paused.")})
    program.status = status
    program.save(update_fields=["status", "updated_at"])
    if status == ProgramStatus.ACTIVE:
        from ..tasks import program_enrol_task

        transaction.on_commit(lambda: program_enrol_task.delay())
    return program


def sample_enrollment(program: Program) -> Enrollment:
    """An unsaved enrolment whose merge fields all fall back to their neutral phrases."""
    return Enrollment(program=program, account=Account(name=""), email="")


@transaction.atomic
def program_step_test_send(*, step: ProgramStep, actor: AnyUser, enrollment: Enrollment | None = None) -> str:
    """The step's email, as ``enrollment``'s contact would get it, to the actor's own
    address (marked as a test, nothing tracked); returns the address."""
    _require_manager(actor)
    address = (getattr(actor, "email", "") or "").strip()
    if not address:
        raise ValidationError({"email": _("Your profile has no email address to send the test to.")})
    language = translation.get_language() or settings.LANGUAGE_CODE
    email = step_email(step, enrollment or sample_enrollment(step.program), language=language)
    email_enqueue(
        dedupe_key=f"program-test:{step.pk}:{actor.pk}:{uuid.uuid4().hex}",
        to=[address],
        subject=f"[{_('Test')}] {email.subject}",
        body_text=email.text,
        body_html=email.html,
    )
    return address
