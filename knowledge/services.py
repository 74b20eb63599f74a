"""Writes of the knowledge app: cases, product feedback and adoption campaigns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import AnyUser
from accounts.models import Account, PurchasedProduct
from accounts.segments import arr_range_for_segment
from accounts.selectors import account_scope
from accounts.timeline import timeline_record, touchpoint_log
from core.notifications import notification_send, user_language
from health.models import DailyFeatureRollup
from playbooks.models import Priority, TaskType
from playbooks.services import task_create

from .access import can_manage, can_review_case
from .models import (
    ROLLOUT_CHECKLIST,
    Campaign,
    CampaignAccount,
    CampaignStatus,
    Case,
    CaseShare,
    CaseStatus,
    CompanySize,
    FeedbackLink,
    FeedbackRequest,
    FeedbackStatus,
    FeedbackStatusChange,
    SizeBand,
    Urgency,
)

logger = logging.getLogger(__name__)

# The rollout checklist is stored in English and translated when shown (playbooks' way).
ROLLOUT_TEXTS = (gettext_noop("Value explained"), gettext_noop("Training done"), gettext_noop("First use confirmed"))

CASE_FIELDS = (
    "title",
    "industry",
    "size_band",
    "arr_band",
    "products",
    "problem",
    "approach",
    "result",
    "policy_support",
    "resources",
    "org_capability",
    "business_volume",
    "source_account",
)


def _link(name: str, pk: int) -> str:
    return settings.HOURGLASS_BASE_URL.rstrip("/") + reverse(name, kwargs={"pk": pk})


def clean_products(products: Sequence[str] | str) -> list[str]:
    """Distinct product names, in the order given (a comma-separated string works too)."""
    items = products.split(",") if isinstance(products, str) else list(products)
    seen: dict[str, str] = {}
    for item in items:
        name = str(item).strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name[:100]
    return list(seen.values())


# --- Cases ----------------------------------------------------------------------------


def _case_check(case: Case) -> None:
    case.products = clean_products(case.products or [])
    case.full_clean(exclude=["author", "reviewed_by", "source_account"])


@transaction.atomic
def case_create(*, actor: Any, **fields: Any) -> Case:
    """A draft case by ``actor`` (any CSM); the caller checked the source account's scope."""
    case = Case(author=actor, status=CaseStatus.DRAFT, **{k: v for k, v in fields.items() if k in CASE_FIELDS})
    _case_check(case)
    case.save()
    return case


def _require_author(case: Case, actor: Any) -> None:
    if case.author_id != actor.pk:
        raise ValidationError({"author": _("Only the author may change this case.")})


@transaction.atomic
def case_update(*, case: Case, actor: Any, **fields: Any) -> Case:
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
def case_submit(*, case: Case, actor: Any) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_author(case, actor)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.REJECTED):
        raise ValidationError({"status": _("This case was already submitted.")})
    case.status = CaseStatus.SUBMITTED
    case.submitted_at = timezone.now()
    case.save(update_fields=["status", "submitted_at", "updated_at"])
    return case


@transaction.atomic
def case_review(*, case: Case, actor: Any, approve: bool, comment: str = "") -> Case:
    """Approve or reject a submitted case (a rejection says why); the author is notified."""
    case = Case.objects.select_for_update(of=("self",)).select_related("author").get(pk=case.pk)
    if not can_review_case(actor, case):
        raise ValidationError({"reviewer": _("You cannot review this case.")})
    if case.status != CaseStatus.SUBMITTED:
        raise ValidationError({"status": _("This case is not waiting for approval.")})
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why the case is rejected.")})
    case.status = CaseStatus.APPROVED if approve else CaseStatus.REJECTED
    case.reviewed_by = actor
    case.reviewed_at = timezone.now()
    case.review_comment = comment
    case.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "updated_at"])
    if case.author is not None:
        with translation.override(user_language(case.author)):
            title = (
                _("Your case “%(title)s” was approved.") if approve else _("Your case “%(title)s” was rejected.")
            ) % {"title": case.title}
            notification_send(
                recipient=case.author,
                kind="case_reviewed",
                title=title,
                body=comment,
                url=_link("knowledge:case_detail", case.pk),
                dedupe_key=f"knowledge:case:{case.pk}:review:{case.reviewed_at.isoformat()}",
            )
    return case


@transaction.atomic
def case_share(
    *,
    case: Case,
    account: Account,
    actor: Any,
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
    return CaseShare.objects.create(case=case, account=account, shared_by=actor)


@transaction.atomic
def company_size_set(*, account: Account, size_band: str, actor: Any) -> CompanySize:
    if size_band not in SizeBand.values:
        raise ValidationError({"size_band": _("Choose a company size.")})
    size, _created = CompanySize.objects.update_or_create(account=account, defaults={"size_band": size_band})
    return size


# --- Product feedback -----------------------------------------------------------------


def _link_check(link: FeedbackLink) -> None:
    if link.urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose an urgency.")})
    link.full_clean(exclude=["request", "raised_by"])


@transaction.atomic
def feedback_raise(
    *,
    actor: Any,
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
        request = FeedbackRequest.objects.create(title=title.strip()[:200], problem=problem.strip(), created_by=actor)
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
        raised_by=actor,
    )
    _link_check(link)
    link.save()
    timeline_record(
        account=account,
        kind="feedback_raised",
        title=_("Product feedback: %(title)s") % {"title": request.title},
        body=link.business_scenario,
        actor=actor,
        data={"request": request.pk},
    )
    return link


def _require_manager(actor: AnyUser) -> None:
    if not can_manage(actor):
        raise ValidationError({"actor": _("Only managers and admins run the feedback board.")})


@transaction.atomic
def feedback_merge(*, actor: Any, duplicate: FeedbackRequest, into: FeedbackRequest) -> FeedbackRequest:
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
    FeedbackLink.objects.filter(request=duplicate).exclude(account_id__in=already).update(request=into)
    FeedbackLink.objects.filter(request=duplicate).delete()  # accounts that were on both
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into", "updated_at"])
    FeedbackStatusChange.objects.create(
        request=duplicate,
        old_status=duplicate.status,
        new_status=duplicate.status,
        note=_("Merged into #%(pk)s %(title)s") % {"pk": into.pk, "title": into.title},
        actor=actor,
    )
    return into


@transaction.atomic
def feedback_set_status(*, actor: Any, request: FeedbackRequest, status: str, note: str = "") -> FeedbackStatusChange:
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
        request=request, old_status=request.status, new_status=status, note=(note or "").strip(), actor=actor
    )
    request.status = status
    request.save(update_fields=["status", "updated_at"])
    owners: dict[int, Any] = {
        link.account.owner.pk: link.account.owner
        for link in request.links.select_related("account__owner")
        if link.account.owner is not None
    }
    url = _link("knowledge:feedback_detail", request.pk)
    for owner in owners.values():
        with translation.override(user_language(owner)):
            notification_send(
                recipient=owner,
                kind="feedback_status",
                title=_("“%(title)s” is now %(status)s")
                % {"title": request.title, "status": FeedbackStatus(status).label},
                body=change.note,
                url=url,
                dedupe_key=f"knowledge:feedback:{change.pk}:{owner.pk}",
            )
    return change


# --- Adoption campaigns ---------------------------------------------------------------

CAMPAIGN_FIELDS = (
    "name",
    "feature",
    "value",
    "event_names",
    "feedback_request",
    "segments",
    "industries",
    "products",
    "stall_days",
)


@transaction.atomic
def campaign_create(*, actor: Any, **fields: Any) -> Campaign:
    _require_campaigns(actor)
    campaign = Campaign(created_by=actor, **{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
    campaign.event_names = clean_products(campaign.event_names or [])
    campaign.products = clean_products(campaign.products or [])
    if not campaign.event_names:
        raise ValidationError({"event_names": _("Name at least one usage event of the feature.")})
    campaign.full_clean(exclude=["created_by", "feedback_request"])
    campaign.save()
    return campaign


def _require_campaigns(actor: AnyUser) -> None:
    if not can_manage(actor):
        raise ValidationError({"actor": _("Only managers and admins run adoption campaigns.")})


def campaign_targets(*, campaign: Campaign, actor: AnyUser) -> Any:
    """Accounts in the launcher's scope that match the filters (empty filter: any),
    plus those that asked for the feature through the campaign's feedback request.

    Live accounts with an owner only: the rollout is a task for the owner CSM.
    """
    accounts = account_scope(user=actor).exclude(status="churned").filter(owner__isnull=False)
    matching = Q()
    if campaign.segments:
        by_segment = Q()
        for segment in campaign.segments:
            low, high = arr_range_for_segment(segment)
            band = Q()
            if low is not None:
                band &= Q(arr__gte=low)
            if high is not None:
                band &= Q(arr__lt=high)
            by_segment |= band
        matching &= by_segment
    if campaign.industries:
        matching &= Q(industry__in=campaign.industries)
    if campaign.products:
        names = Q()
        for product in campaign.products:
            names |= Q(product__iexact=product)
        matching &= Q(Exists(PurchasedProduct.objects.filter(names, account=OuterRef("pk"))))
    if campaign.feedback_request_id:
        asked = FeedbackLink.objects.filter(request_id=campaign.feedback_request_id, account=OuterRef("pk"))
        matching |= Q(Exists(asked))
    return accounts.filter(matching).order_by("pk")


@transaction.atomic
def campaign_launch(*, actor: Any, campaign: Campaign, today: Any = None) -> int:
    """Target the accounts and give each owner a rollout task; returns accounts targeted.

    Claiming the draft (draft → active in one UPDATE) makes a second launch a no-op error.
    """
    _require_campaigns(actor)
    today = today or timezone.localdate()
    claimed = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
        status=CampaignStatus.ACTIVE, launched_at=timezone.now()
    )
    if claimed != 1:
        raise ValidationError({"status": _("This campaign was already launched.")})
    campaign.refresh_from_db()
    accounts = list(campaign_targets(campaign=campaign, actor=actor).select_related("owner"))
    rows = []
    for account in accounts:
        task = task_create(
            actor=actor,
            account=account,
            title=_("Roll out %(feature)s") % {"feature": campaign.feature},
            description=campaign.value,
            due_date=today + timedelta(days=14),
            task_type=TaskType.OPPORTUNITY,
            checklist=ROLLOUT_CHECKLIST,
        )
        rows.append(CampaignAccount(campaign=campaign, account=account, task=task))
    CampaignAccount.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def campaign_close(*, actor: Any, campaign: Campaign) -> Campaign:
    _require_campaigns(actor)
    updated = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.ACTIVE).update(status=CampaignStatus.CLOSED)
    if updated != 1:
        raise ValidationError({"status": _("Only an active campaign can be closed.")})
    campaign.refresh_from_db()
    return campaign


def campaign_stall_sweep(*, now: datetime | None = None) -> int:
    """A follow-up task for every targeted account still not using the feature after the
    campaign's ``stall_days``; returns how many were raised.

    Idempotent: a row gets at most one follow-up (``stall_task``), claimed under a row
    lock, so a re-run or two workers racing never create a second task.
    """
    now = now or timezone.now()
    created = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.ACTIVE).select_related("created_by"):
        launched = timezone.localdate(campaign.launched_at or now)
        used = DailyFeatureRollup.objects.filter(
            account=OuterRef("account_id"), event_name__in=list(campaign.event_names), day__gte=launched, events__gt=0
        )
        due = CampaignAccount.objects.filter(
            campaign=campaign, stall_task=None, targeted_at__lte=now - timedelta(days=campaign.stall_days)
        ).exclude(Exists(used))
        for row_id in list(due.values_list("pk", flat=True)):
            created += _stall_task_raise(row_id=row_id, campaign=campaign, today=timezone.localdate(now))
    return created


@transaction.atomic
def _stall_task_raise(*, row_id: int, campaign: Campaign, today: Any) -> int:
    row = (
        CampaignAccount.objects.select_for_update(of=("self",))
        .select_related("account__owner")
        .filter(pk=row_id, stall_task=None)
        .first()
    )
    if row is None:  # another run got there first
        return 0
    actor = campaign.created_by
    if actor is None or not actor.is_active:
        logger.warning("campaign %s has no active creator; stalled account %s skipped", campaign.pk, row.account_id)
        return 0
    language = user_language(row.account.owner) if row.account.owner else settings.LANGUAGE_CODE
    with translation.override(language):
        title = _("Adoption stalled: %(feature)s") % {"feature": campaign.feature}
        description = _("Not used %(days)s days after the campaign “%(name)s” targeted this account.") % {
            "days": campaign.stall_days,
            "name": campaign.name,
        }
    try:
        task = task_create(
            actor=actor,
            account=row.account,
            title=title,
            description=description,
            due_date=today + timedelta(days=3),
            priority=Priority.HIGH,
            task_type=TaskType.RISK,
        )
    except ValidationError:
        logger.warning("campaign %s: cannot assign the stall task of account %s", campaign.pk, row.account_id)
        return 0
    row.stall_task = task
    row.save(update_fields=["stall_task"])
    return 1
