"""One touch logged for several overdue contacts at once (the overdue-contacts list).

The chosen stakeholders' accounts each get one touchpoint naming those of its people
who were chosen (a call with three people of one customer is one call), so the
cadence of every one of them restarts. All-or-nothing: a contact outside the actor's
scope, or one who has left, refuses the whole action and is named. Set-based: one
insert for the touchpoints and one for their stakeholders, however many are chosen.
The undo (ten seconds, ``core.undo``) removes the touchpoints it wrote.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.people import person_or_none
from core.types import AnyUser
from core.undo import BulkOutcome, undo_state, undo_token

from .models import Stakeholder, TimelineEntry, TouchpointKind
from .selectors import account_scope

# A page holds 50 rows; a bigger selection comes from a crafted request.
MAX_CONTACTS = 200
NOTE_MAX_LENGTH = 300


def _contact_ids(values: Collection[Any]) -> list[int]:
    try:
        ids = sorted({int(value) for value in values})
    except (TypeError, ValueError) as error:
        raise ValidationError({"contact": _("Choose contacts from the list.")}) from error
    if not ids:
        raise ValidationError({"contact": _("Choose at least one contact.")})
    if len(ids) > MAX_CONTACTS:
        raise ValidationError({"contact": _("Choose at most %(max)s contacts at a time.") % {"max": MAX_CONTACTS}})
    return ids


def _checked(*, kind: str, note: str) -> str:
    errors = {}
    if kind not in TouchpointKind.values:
        errors["kind"] = _("Unknown touchpoint type.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Keep the note to %(max)s characters.") % {"max": NOTE_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    return note


@transaction.atomic
def contacts_touch_log(*, actor: AnyUser, stakeholder_ids: Collection[Any], kind: str, note: str = "") -> BulkOutcome:
    """Log a touch (``kind``: call, email, meeting …) with each chosen contact."""
    note = _checked(kind=kind, note=note)
    ids = _contact_ids(stakeholder_ids)
    people = list(
        Stakeholder.objects.filter(pk__in=ids, account__in=account_scope(user=actor).values("pk"))
        .select_related("account")
        .order_by("account_id", "pk")
    )
    found = {person.pk for person in people}
    if missing := [pk for pk in ids if pk not in found]:
        # By number only: a contact outside the scope must not show their name.
        refused = _("Contact #%(id)s is not one you can log a touch for; nothing was logged.")
        raise ValidationError({"contact": refused % {"id": missing[0]}})
    if left := [person for person in people if not person.is_active]:
        raise ValidationError({"contact": _("%(name)s has left; nothing was logged.") % {"name": left[0].name}})
    by_account: dict[int, list[Stakeholder]] = {}
    for person in people:
        by_account.setdefault(person.account_id, []).append(person)
    now, author = timezone.now(), person_or_none(actor)
    entries = [
        TimelineEntry(
            account=group[0].account,
            is_touchpoint=True,
            kind=kind,
            title=(note or _("Contact with %(name)s") % {"name": ", ".join(p.name for p in group)})[:300],
            actor=author,
            occurred_at=now,
        )
        for group in by_account.values()
    ]
    TimelineEntry.objects.bulk_create(entries)
    through = TimelineEntry.stakeholders.through
    through.objects.bulk_create(
        [
            through(timelineentry_id=entry.pk, stakeholder_id=person.pk)
            for entry, group in zip(entries, by_account.values(), strict=True)
            for person in group
        ]
    )
    token = undo_token(actor=actor, action="contact_touches", state=[entry.pk for entry in entries])
    return BulkOutcome(count=len(people), undo=token)


@transaction.atomic
def contacts_touch_undo(*, actor: AnyUser, token: str) -> BulkOutcome:
    """Remove the touchpoints ``contacts_touch_log`` wrote; returns how many contacts
    are overdue again."""
    state = undo_state(actor=actor, action="contact_touches", token=token)
    if not isinstance(state, list) or not all(isinstance(pk, int) for pk in state):
        raise ValidationError({"undo": _("This cannot be undone.")})
    entries = TimelineEntry.objects.filter(
        pk__in=state,
        is_touchpoint=True,
        actor=person_or_none(actor),
        account__in=account_scope(user=actor).values("pk"),
    )
    through = TimelineEntry.stakeholders.through
    contacts = through.objects.filter(timelineentry_id__in=entries.values("pk")).count()
    entries.delete()
    return BulkOutcome(count=contacts)
