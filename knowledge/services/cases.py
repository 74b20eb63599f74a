"""Best-practice cases: drafts, review, sharing with customers; company sizes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.timeline import touchpoint_log
from core.messages import message
from core.notifications import notification_send, user_language
from core.people import person_or_none
from core.types import AnyUser

from ..access import can_review_case
from ..models import (
    CASE_CONTENT_FIELDS,
    Case,
    CaseShare,
    CaseStatus,
    CompanySize,
    SizeBand,
)
from .common import absolute_link, clean_products

CASE_FIELDS = (*CASE_CONTENT_FIELDS, "source_account")


def _case_check(case: Case) -> None:
    case.products = clean_products(case.products or [])
    case.full_clean(exclude=["author", "reviewed_by", "source_account"])


@transaction.atomic
def case_create(*, actor: AnyUser, **fields: Any) -> Case:
    """A draft case by ``actor`` (any CSM); the caller checked the source account's scope."""
    case = Case(
        author=person_or_none(actor), status=CaseStatus.DRAFT, **{k: v for k, v in fields.items() if k in CASE_FIELDS}
    )
    _case_check(case)
    case.save()
    return case


def _require_author(case: Case, actor: AnyUser) -> None:
    if case.author_id != actor.pk:
        raise ValidationError({"author": _("Only the author may change this case.")})


@transaction.atomic
def case_update(*, case: Case, actor: AnyUser, **fields: Any) -> Case:
    """Edit a draft or a rejected case; a rejected one goes back to draft."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_author(case, actor)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.REJECTED):
        raise ValidationError({"status": _("Only drafts and rejected cases can be edited.")})
    for key, value in fields.items():
        if key in CASE_FIELDS:
            setattr(case, key, value)
    case.status = CaseStatus.DRAFT
    _case_check(case)
    case.save()
    return case


@transaction.atomic
def case_submit(*, case: Case, actor: AnyUser) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_author(case, actor)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.REJECTED):
        raise ValidationError({"status": _("This case was already submitted.")})
    case.status = CaseStatus.SUBMITTED
    case.submitted_at = timezone.now()
    case.save(update_fields=["status", "submitted_at", "updated_at"])
    return case


@transaction.atomic
def case_review(*, case: Case, actor: AnyUser, approve: bool, comment: str = "") -> Case:
    """Approve or reject a submitted case (a rejection says why); the author is notified."""
    case = Case.objects.select_for_update(of=("self",)).select_related("author").get(pk=case.pk)
    if not can_review_case(actor, case):
        raise ValidationError({"reviewer": _("You cannot review this case.")})
    if case.status != CaseStatus.SUBMITTED:
        raise ValidationError({"status": _("This case is not waiting for approval.")})
    comment = (comment or "").strip()
    try:
        Case._meta.get_field("review_comment").run_validators(comment)
    except ValidationError as error:
        raise ValidationError({"comment": error.messages}) from None
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why the case is rejected.")})
    case.status = CaseStatus.APPROVED if approve else CaseStatus.REJECTED
    case.reviewed_by = person_or_none(actor)
    case.reviewed_at = timezone.now()
    case.review_comment = comment
    case.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "updated_at"])
    if case.author is not None:
        with translation.override(user_language(case.author)):
            key = (
                gettext_noop("Your case “%(title)s” was approved.")
                if approve
                else gettext_noop("Your case “%(title)s” was rejected.")
            )
            notification_send(
                recipient=case.author,
                kind="case_reviewed",
                message=message(key, title=case.title),
                body=comment,
                url=absolute_link("knowledge:case_detail", case.pk),
                dedupe_key=f"knowledge:case:{case.pk}:review:{case.reviewed_at.isoformat()}",
            )
    return case


@transaction.atomic
def case_share(
    *,
    case: Case,
    account: Account,
    actor: AnyUser,
    kind: str = "email",
    note: str = "",
    occurred_at: datetime | None = None,
) -> CaseShare:
    """Show an approved case to a customer: a touchpoint on the account's timeline.

    The caller checked that the account is in the actor's scope.
    """
    if case.status != CaseStatus.APPROVED:
        raise ValidationError({"case": _("Only approved cases can be shared with customers.")})
    touchpoint_log(
        actor=actor,
        account=account,
        kind=kind,
        title=(_("Shared best-practice case: %(title)s") % {"title": case.title})[:250],
        body=note,
        occurred_at=occurred_at,
    )
    return CaseShare.objects.create(case=case, account=account, shared_by=person_or_none(actor))


@transaction.atomic
def company_size_set(*, account: Account, size_band: str, actor: AnyUser) -> CompanySize:
    if size_band not in SizeBand.values:
        raise ValidationError({"size_band": _("Choose a company size.")})
    size, _created = CompanySize.objects.update_or_create(account=account, defaults={"size_band": size_band})
    return size
