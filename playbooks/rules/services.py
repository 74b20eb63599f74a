"""Writes of the builder: save (create or edit, with its steps), copy, enable / disable.

Managers and admins edit; CSMs read. Every save goes through simple_history (who, when,
old and new values). An edit bumps ``version``: tasks created earlier keep their copied
texts and the version they came from, so editing a live playbook rewrites no task. Steps
are edited in place (their ids stay), so an edit mid-period does not fire them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.segments import Segment
from core.types import AnyUser
from org.roles import is_manager_or_admin

from ..models import OwnerRole, Playbook, PlaybookStep, Priority, TaskType, TriggerKind
from .conditions import validate_conditions

MAX_STEPS = 20
STEP_FIELDS = (
    "title",
    "description",
    "checklist",
    "due_offset_days",
    "owner_role",
    "named_user",
    "priority",
    "task_type",
)


def can_edit_playbooks(user: AnyUser) -> bool:
    return is_manager_or_admin(user)


def _require_editor(actor: AnyUser) -> None:
    if not can_edit_playbooks(actor):
        raise PermissionDenied(_("Only managers and admins edit playbooks."))


def _clean_playbook(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(fields.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the playbook a name.")
    trigger = fields.get("trigger")
    if trigger not in TriggerKind.values or trigger == TriggerKind.MANUAL:
        errors["trigger"] = _("Choose a trigger.")
    weekday = fields.get("schedule_weekday")
    if weekday is not None and (trigger != TriggerKind.SCHEDULE or weekday not in range(7)):
        errors["schedule_weekday"] = _("A weekday is for scheduled rules only (0 = Monday … 6 = Sunday).")
    segments = list(fields.get("segments") or [])
    if any(s not in Segment.values for s in segments):
        errors["segments"] = _("Choose segments from the list.")
    arr_min, arr_max = fields.get("arr_min"), fields.get("arr_max")
    for key, value in (("arr_min", arr_min), ("arr_max", arr_max)):
        if value is not None and not (Decimal(0) <= Decimal(value) < Decimal("1e12")):
            errors[key] = _("Enter an amount from 0 to 999,999,999,999.")
    if arr_min is not None and arr_max is not None and "arr_min" not in errors and Decimal(arr_min) >= Decimal(arr_max):
        errors["arr_max"] = _("“ARR below” must be more than “ARR from”.")
    if errors:
        raise ValidationError(errors)
    return {
        "name": name[:200],
        "description": str(fields.get("description") or "").strip()[:5000],
        "trigger": trigger,
        "schedule_weekday": weekday,
        "segments": segments,
        "arr_min": arr_min,
        "arr_max": arr_max,
    }


def _clean_steps(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps in order; an error names the step (``steps``) and what is wrong."""
    if not steps:
        raise ValidationError({"steps": _("Add at least one step.")})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": _("At most %(n)d steps.") % {"n": MAX_STEPS}})
    users = get_user_model().objects.filter(is_active=True)
    cleaned = []
    for number, step in enumerate(steps, start=1):
        problem = ""
        title = str(step.get("title") or "").strip()
        offset = step.get("due_offset_days", 7)
        role = step.get("owner_role", OwnerRole.CSM)
        named = step.get("named_user")
        named_id = getattr(named, "pk", named)
        if not title:
            problem = _("give it a title")
        elif not isinstance(offset, int) or not -365 <= offset <= 365:
            problem = _("the due offset is a number of days from -365 to 365")
        elif role not in OwnerRole.values:
            problem = _("choose an owner")
        elif role == OwnerRole.NAMED_USER and (named_id is None or not users.filter(pk=named_id).exists()):
            problem = _("choose the named person (someone who can sign in)")
        elif step.get("priority", Priority.MEDIUM) not in Priority.values:
            problem = _("choose a priority")
        elif step.get("task_type", TaskType.LIFECYCLE) not in TaskType.values:
            problem = _("choose a type")
        if problem:
            raise ValidationError({"steps": _("Step %(n)d: %(problem)s.") % {"n": number, "problem": problem}})
        checklist = step.get("checklist") or []
        if isinstance(checklist, str):
            checklist = checklist.splitlines()
        cleaned.append(
            {
                "id": step.get("id"),
                "title": title[:300],
                "description": str(step.get("description") or "").strip()[:5000],
                "checklist": [str(item).strip()[:300] for item in checklist if str(item).strip()][:30],
                "due_offset_days": offset,
                "owner_role": role,
                "named_user_id": named_id if role == OwnerRole.NAMED_USER else None,
                "priority": step.get("priority", Priority.MEDIUM),
                "task_type": step.get("task_type", TaskType.LIFECYCLE),
            }
        )
    return cleaned


def _save_steps(playbook: Playbook, steps: list[dict[str, Any]]) -> None:
    existing = {step.pk: step for step in playbook.steps.all()}
    kept: set[int] = set()
    for order, data in enumerate(steps):
        step_id = data.pop("id", None)
        step = existing.get(step_id) if step_id is not None else None
        if step is None:
            step = PlaybookStep(playbook=playbook)
        for key, value in data.items():
            setattr(step, key, value)
        step.order = order
        step.save()
        kept.add(step.pk)
    for pk, step in existing.items():
        if pk not in kept:
            step.delete()  # its tasks keep their texts; ``step`` becomes empty on them


@transaction.atomic
def playbook_save(
    *,
    actor: AnyUser,
    fields: dict[str, Any],
    conditions: Any,
    steps: Sequence[dict[str, Any]],
    playbook: Playbook | None = None,
) -> Playbook:
    """Create a playbook (inactive: preview it, then enable it) or edit one (version + 1).

    Errors are keyed by field (``name``, ``trigger``, ``conditions``, ``steps`` …)."""
    _require_editor(actor)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for check in (lambda: cleaned.update(_clean_playbook(fields)),
                  lambda: cleaned.update(conditions=validate_conditions(conditions)),
                  lambda: cleaned.update(steps=_clean_steps(steps))):  # fmt: skip
        try:
            check()
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    step_rows = cleaned.pop("steps")
    if playbook is None:
        playbook = Playbook(active=False)
    else:
        playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
        playbook.version += 1
    for key, value in cleaned.items():
        setattr(playbook, key, value)
    playbook.disabled_reason = ""  # an edit is the fix for a broken condition
    playbook.save()
    _save_steps(playbook, step_rows)
    return playbook


@transaction.atomic
def playbook_copy(*, actor: AnyUser, playbook: Playbook) -> Playbook:
    """An inactive copy (version 1, no key) with the same steps."""
    _require_editor(actor)
    steps = list(playbook.steps.all())
    copy = Playbook.objects.create(
        name=(_("Copy of %(name)s") % {"name": playbook.display_name})[:200],
        description=playbook.description,
        trigger=playbook.trigger,
        active=False,
        segments=list(playbook.segments or []),
        arr_min=playbook.arr_min,
        arr_max=playbook.arr_max,
        conditions=list(playbook.conditions or []),
        schedule_weekday=playbook.schedule_weekday,
    )
    for step in steps:
        PlaybookStep.objects.create(playbook=copy, order=step.order, **{k: getattr(step, k) for k in STEP_FIELDS})
    return copy


@transaction.atomic
def playbook_set_active(*, actor: AnyUser, playbook: Playbook, active: bool) -> Playbook:
    """Enable or disable; enabling checks the conditions again (a broken one stays off)."""
    _require_editor(actor)
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if active:
        validate_conditions(playbook.conditions)
        if not playbook.steps.exists():
            raise ValidationError({"steps": _("Add at least one step.")})
    playbook.active = active
    playbook.disabled_reason = "" if active else playbook.disabled_reason
    playbook.save(update_fields=["active", "disabled_reason", "updated_at"])
    return playbook
