"""Adoption campaigns: targeting, launch (a task per account), close, the stall sweep."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import AccountStatus, PurchasedProduct
from accounts.segments import arr_range_for_segment
from accounts.selectors import account_scope
from core.audit_source import history_record_updates
from core.notifications import user_language
from core.people import person_or_none
from core.types import AnyUser
from health.models import DailyFeatureRollup
from playbooks.models import Priority, TaskType
from playbooks.services import task_create

from ..access import can_manage
from ..models import (
    ROLLOUT_CHECKLIST,
    Campaign,
    CampaignAccount,
    CampaignStatus,
    FeedbackLink,
)
from .common import clean_products

logger = logging.getLogger(__name__)

# The rollout checklist is stored in English and translated when shown (playbooks' way).
ROLLOUT_TEXTS = (gettext_noop("Value explained"), gettext_noop("Training done"), gettext_noop("First use confirmed"))


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
def campaign_create(*, actor: AnyUser, **fields: Any) -> Campaign:
    _require_campaigns(actor)
    campaign = Campaign(created_by=person_or_none(actor), **{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
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
    accounts = account_scope(user=actor).exclude(status=AccountStatus.CHURNED).filter(owner__isnull=False)
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
def campaign_launch(*, actor: AnyUser, campaign: Campaign, today: Any = None) -> int:
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
    history_record_updates([campaign], Campaign, user=person_or_none(actor))  # the claim was an UPDATE
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
def campaign_close(*, actor: AnyUser, campaign: Campaign) -> Campaign:
    _require_campaigns(actor)
    updated = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.ACTIVE).update(status=CampaignStatus.CLOSED)
    if updated != 1:
        raise ValidationError({"status": _("Only an active campaign can be closed.")})
    campaign.refresh_from_db()
    history_record_updates([campaign], Campaign, user=person_or_none(actor))
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
