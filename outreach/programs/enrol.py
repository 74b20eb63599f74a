"""Who enters a program: the audience's contacts whose account meets the entry condition.

A program's audience is ``{"segments", "tiers", "key_levels", "owner_ids"}`` (an empty
list: any) over the live accounts of the book — the survey audience plus the owner.
Enrolment is set-based: the candidates not enrolled yet are written by one
``INSERT … SELECT … ON CONFLICT DO NOTHING`` (unique per program and stakeholder), so a
re-run, or two workers at once, enrol each contact once. Unsubscribed and bounced addresses are left
out; a contact who unsubscribes later leaves the program at its next email.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountStatus, Stakeholder
from health.models import Colour
from health.selectors import with_health

from ..audience import audience_clean, audience_stakeholders
from ..bulk import db_time, execute, subquery, table
from ..models import ContactPreference, Enrollment, EnrollmentStatus, Program, ProgramEntry, ProgramStatus


def program_audience_clean(raw: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The audience with known values only; a bad one is a ``ValidationError`` naming it."""
    raw = dict(raw or {})
    owners = raw.pop("owner_ids", None) or []
    raw.pop("account_ids", None)
    audience = audience_clean(raw)
    audience.pop("account_ids", None)
    try:
        owner_ids = sorted({int(owner) for owner in owners})
    except (TypeError, ValueError):
        raise ValidationError({"owner_ids": _("Give whole numbers.")}) from None
    if len(owner_ids) != get_user_model().objects.filter(pk__in=owner_ids).count():
        raise ValidationError({"owner_ids": _("Unknown account owner.")})
    audience["owner_ids"] = owner_ids
    return audience


def colours_clean(colours: Any, *, field: str) -> list[str]:
    values = list(colours or [])
    if not set(values) <= set(Colour.values):
        raise ValidationError({field: _("Unknown health colour.")})
    return sorted(set(values))


def program_accounts(program: Program, *, accounts: QuerySet[Account] | None = None) -> QuerySet[Account]:
    """The live accounts the program's audience and entry condition take in."""
    accounts = accounts if accounts is not None else Account.objects.all()
    accounts = accounts.exclude(status=AccountStatus.CHURNED)
    owners = (program.audience or {}).get("owner_ids") or []
    if owners:
        accounts = accounts.filter(owner_id__in=owners)
    if program.entry == ProgramEntry.HEALTH:
        accounts = with_health(accounts).filter(health_colour__in=program.entry_colours or [])  # type: ignore[misc]
    return accounts


def program_candidates(program: Program) -> QuerySet[Stakeholder]:
    people = audience_stakeholders(accounts=program_accounts(program), audience=program.audience or {})
    enrolled = Enrollment.objects.filter(program=program, stakeholder=OuterRef("pk"))
    barred = ContactPreference.objects.filter(email=Lower(OuterRef("email"))).filter(
        Q(unsubscribed_at__isnull=False) | Q(bounced_at__isnull=False)
    )
    return people.exclude(Exists(enrolled)).exclude(Exists(barred))


def program_enrol(*, program: Program, now: datetime | None = None) -> int:
    """Enrol the program's new candidates; returns how many were enrolled."""
    now = now or timezone.now()
    if program.status != ProgramStatus.ACTIVE or not program.steps.exists():
        return 0
    first = min(program.steps.values_list("position", flat=True))
    ids_sql, ids_params = subquery(program_candidates(program).values("pk"))
    at = db_time(now)
    columns = (
        "program_id, account_id, stakeholder_id, email, status, position, next_action_at, exit_reason, "
        "claim_token, enrolled_at, finished_at"
    )
    with transaction.atomic():
        enrolled = execute(
            f"INSERT INTO {table(Enrollment)} ({columns}) "  # noqa: S608 - names and placeholders
            "SELECT %s, s.account_id, s.id, LOWER(TRIM(s.email)), %s, %s, %s, '', '', %s, NULL "
            f"FROM {table(Stakeholder)} s WHERE s.id IN ({ids_sql}) ON CONFLICT DO NOTHING",
            [program.pk, EnrollmentStatus.ACTIVE.value, first, at, at, *ids_params],
        )
    Program.objects.filter(pk=program.pk).update(last_enrolled_at=now)
    return enrolled


def programs_enrol(*, now: datetime | None = None) -> int:
    """Every running program's new candidates (the beat's enrolment sweep)."""
    return sum(
        program_enrol(program=program, now=now) for program in Program.objects.filter(status=ProgramStatus.ACTIVE)
    )
