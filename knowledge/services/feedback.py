"""Product feedback: requests raised from accounts, merged, moved through statuses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.timeline import timeline_record
from core.audit_source import history_record_updates
from core.messages import choice, message
from core.notifications import notification_send, user_language
from core.people import person_or_none
from core.types import AnyUser

from ..access import can_manage
from ..models import (
    FeedbackLink,
    FeedbackRequest,
    FeedbackStatus,
    FeedbackStatusChange,
    Urgency,
)
from .common import absolute_link


def _link_check(link: FeedbackLink) -> None:
    if link.urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose an urgency.")})
    link.full_clean(exclude=["request", "raised_by"])


@transaction.atomic
def feedback_raise(
    *,
    actor: AnyUser,
    account: Account,
    business_scenario: str,
    urgency: int,
    roi_estimate: Decimal,
    alternatives: str = "",
    title: str = "",
    problem: str = "",
    existing: FeedbackRequest | None = None,
) -> FeedbackLink:
    """Raise a request from an account, or link the account to an ``existing`` one.

    Linking rather than creating is how duplicates are avoided: one request, many
    accounts. The caller checked that the account is in the actor's scope.
    """
    if existing is None:
        errors = {}
        if not (title or "").strip():
            errors["title"] = _("Give the request a title, or link an existing request.")
        if not (problem or "").strip():
            errors["problem"] = _("Describe the problem.")
        if errors:
            raise ValidationError(errors)
        request = FeedbackRequest.objects.create(
            title=title.strip()[:200], problem=problem.strip(), created_by=person_or_none(actor)
        )
    else:
        request = FeedbackRequest.objects.select_for_update().get(pk=existing.pk)
        while request.merged_into_id:  # link to where the duplicate was merged
            request = FeedbackRequest.objects.select_for_update().get(pk=request.merged_into_id)
        if FeedbackLink.objects.filter(request=request, account=account).exists():
            raise ValidationError({"existing": _("This account is already linked to that request.")})
    link = FeedbackLink(
        request=request,
        account=account,
        business_scenario=(business_scenario or "").strip(),
        urgency=urgency,
        roi_estimate=roi_estimate,
        alternatives=(alternatives or "").strip(),
        raised_by=person_or_none(actor),
    )
    _link_check(link)
    link.save()
    timeline_record(
        account=account,
        kind="feedback_raised",
        message=message(gettext_noop("Product feedback: %(title)s"), title=request.title),
        body=link.business_scenario,
        actor=actor,
        data={"request": request.pk},
    )
    return link


def _require_manager(actor: AnyUser) -> None:
    if not can_manage(actor):
        raise ValidationError({"actor": _("Only managers and admins run the feedback board.")})


@transaction.atomic
def feedback_merge(*, actor: AnyUser, duplicate: FeedbackRequest, into: FeedbackRequest) -> FeedbackRequest:
    """Fold a duplicate into another request: its accounts move over (once each)."""
    _require_manager(actor)
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A request cannot be merged into itself.")})
    # Lock both in pk order so two merges cannot deadlock.
    locked = {
        r.pk: r
        for r in FeedbackRequest.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk]).order_by("pk")
    }
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    if duplicate.merged_into_id or into.merged_into_id:
        raise ValidationError({"into": _("That request was already merged.")})
    already = FeedbackLink.objects.filter(request=into).values("account_id")
    moving = list(FeedbackLink.objects.filter(request=duplicate).exclude(account_id__in=already))
    FeedbackLink.objects.filter(pk__in=[link.pk for link in moving]).update(request=into)
    for link in moving:
        link.request = into
    history_record_updates(moving, FeedbackLink, user=person_or_none(actor))
    FeedbackLink.objects.filter(request=duplicate).delete()  # accounts that were on both
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into", "updated_at"])
    FeedbackStatusChange.objects.create(
        request=duplicate,
        old_status=duplicate.status,
        new_status=duplicate.status,
        note=_("Merged into #%(pk)s %(title)s") % {"pk": into.pk, "title": into.title},
        actor=person_or_none(actor),
    )
    return into


@transaction.atomic
def feedback_set_status(
    *, actor: AnyUser, request: FeedbackRequest, status: str, note: str = ""
) -> FeedbackStatusChange:
    """Move a request on; the owner CSM of every linked account is notified once."""
    _require_manager(actor)
    if status not in FeedbackStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    request = FeedbackRequest.objects.select_for_update().get(pk=request.pk)
    if request.merged_into_id:
        raise ValidationError({"status": _("This request was merged; change the one it was merged into.")})
    if request.status == status:
        raise ValidationError({"status": _("The request already has this status.")})
    change = FeedbackStatusChange.objects.create(
        request=request,
        old_status=request.status,
        new_status=status,
        note=(note or "").strip(),
        actor=person_or_none(actor),
    )
    request.status = status
    request.save(update_fields=["status", "updated_at"])
    owners: dict[int, Any] = {
        link.account.owner.pk: link.account.owner
        for link in request.links.select_related("account__owner")
        if link.account.owner is not None
    }
    url = absolute_link("knowledge:feedback_detail", request.pk)
    for owner in owners.values():
        with translation.override(user_language(owner)):
            notification_send(
                recipient=owner,
                kind="feedback_status",
                message=message(
                    gettext_noop("“%(title)s” is now %(status)s"),
                    title=request.title,
                    status=choice(FeedbackRequest, "status", status),
                ),
                body=change.note,
                url=url,
                dedupe_key=f"knowledge:feedback:{change.pk}:{owner.pk}",
            )
    return change
