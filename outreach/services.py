"""Writes of the outreach app: surveys created, edited and sent by people.

Who may do what (``outreach.access``): managers and admins create and edit surveys;
CSMs, managers and admins send one to the contacts of the accounts in their scope (a
CSM's own accounts, a manager's team's, an admin's all); automatic sends are the beat's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import TouchpointKind
from accounts.selectors import account_scope
from core.people import person_or_none
from core.types import AnyUser

from .access import can_manage_surveys, can_send_surveys
from .audience import audience_clean
from .models import Survey, SurveyKind
from .responses import contact_unsubscribe, contacts_mark_bounced, survey_response_record
from .sending import DecideResult, survey_send_to

__all__ = [
    "contact_bounce_clear",
    "contact_unsubscribe",
    "contacts_mark_bounced",
    "survey_create",
    "survey_response_record",
    "survey_send",
    "survey_update",
]

SURVEY_FIELDS = (
    "kind",
    "name",
    "subject_en",
    "intro_en",
    "question_en",
    "subject_zh_hans",
    "intro_zh_hans",
    "question_zh_hans",
    "expires_days",
    "auto_enabled",
    "auto_every_months",
    "auto_touchpoint_kinds",
    "auto_after_tasks",
    "audience",
)


def _apply(survey: Survey, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(SURVEY_FIELDS)
    if unknown:
        raise ValueError(f"unknown survey fields {sorted(unknown)}")
    for name, value in fields.items():
        setattr(survey, name, value)
    survey.audience = audience_clean(survey.audience or {})
    kinds = list(survey.auto_touchpoint_kinds or [])
    if not set(kinds) <= set(TouchpointKind.values):
        raise ValidationError({"auto_touchpoint_kinds": _("Unknown touchpoint kind.")})
    survey.auto_touchpoint_kinds = sorted(set(kinds))
    if survey.auto_enabled:
        if survey.kind == SurveyKind.NPS and not survey.auto_every_months:
            raise ValidationError({"auto_every_months": _("Say every how many months the NPS survey goes out.")})
        if survey.kind == SurveyKind.CSAT and not (survey.auto_touchpoint_kinds or survey.auto_after_tasks):
            raise ValidationError({"auto_touchpoint_kinds": _("Choose the touchpoints after which CSAT is asked.")})
    survey.full_clean(exclude=["created_by"])


@transaction.atomic
def survey_create(*, actor: AnyUser, **fields: Any) -> Survey:
    if not can_manage_surveys(actor):
        raise PermissionDenied
    survey = Survey(created_by=person_or_none(actor))
    _apply(survey, fields)
    survey.save()
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, actor: AnyUser, **fields: Any) -> Survey:
    """Change a survey's texts, audience or automation; its kind is fixed once sent."""
    if not can_manage_surveys(actor):
        raise PermissionDenied
    if "kind" in fields and fields["kind"] != survey.kind and survey.recipients.exists():
        raise ValidationError({"kind": _("A survey that was sent keeps its kind.")})
    _apply(survey, fields)
    survey.save()
    return survey


@transaction.atomic
def survey_send(*, survey: Survey, actor: AnyUser, audience: dict[str, Any] | None = None) -> DecideResult:
    """Send ``survey`` now to the audience's contacts among the accounts ``actor`` may see.

    The same send again the same day adds no one (one row per contact and day); the
    frequency cap, unsubscribes and bounces apply (``outreach.sending``).
    """
    if not can_send_surveys(actor):
        raise PermissionDenied
    cleaned = audience_clean(audience if audience is not None else survey.audience or {})
    return survey_send_to(survey=survey, accounts=account_scope(user=actor), audience=cleaned)


@transaction.atomic
def contact_bounce_clear(*, email: str, actor: AnyUser) -> bool:
    """Forget that ``email`` bounced (the mailbox works again): surveys and programs may
    reach it again. True when it was marked bounced."""
    from .access import can_clear_bounces
    from .models import ContactPreference

    if not can_clear_bounces(actor):
        raise PermissionDenied
    address = (email or "").strip().lower()
    if not address:
        raise ValidationError({"email": _("Give the address whose bounce to clear.")})
    return bool(
        ContactPreference.objects.filter(email=address, bounced_at__isnull=False).update(
            bounced_at=None, bounce_reason=""
        )
    )
