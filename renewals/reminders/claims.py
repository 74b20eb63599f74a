"""Claiming reminders (the claim row is the "exactly once") and queuing what was won."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from renewals.models import ReminderAudience, RenewalReminder, RenewalStatus

from . import messages
from .batch import ReminderBatch
from .due import DueRow

# What queuing a claimed reminder reads (``only()``): a batch builds six model instances
# per reminder, and the renewal, account, owner and contract have some 50 columns more.
CLAIM_COLUMNS = (
    "threshold_days",
    "days_left",
    "audience",
    "recipient",
    "recipient_email",
    "renewal__status",
    "renewal__due_date",
    "renewal__account__name",
    "renewal__account__owner__email",
    "renewal__account__owner__cs_profile__language",
    "renewal__contract__arr",
    "renewal__contract__customer_language",
)


@transaction.atomic
def reminders_claim_and_queue(rows: Sequence[DueRow], *, today: date, audience: str) -> int:
    """Claim ``rows`` and queue a reminder for each claim this call won; returns how many.

    One transaction: a failure (or a killed worker) leaves nothing claimed, so the
    reminders stay owed. Rows another run claimed first are skipped.
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    RenewalReminder.objects.bulk_create(
        [
            RenewalReminder(
                renewal_id=renewal_id,
                threshold_days=threshold_days,
                audience=audience,
                due_date=due_date,
                days_left=(due_date - today).days,
                claim_token=token,
                claimed_at=now,
            )
            for renewal_id, threshold_days, due_date in rows
        ],
        ignore_conflicts=True,
    )
    mine = list(
        RenewalReminder.objects.filter(claim_token=token)
        .select_related("renewal__account__owner__cs_profile", "renewal__contract")
        .only(*CLAIM_COLUMNS)
        .order_by("pk")
    )
    batch = ReminderBatch(now=now)
    if audience == ReminderAudience.CUSTOMER:
        contacts = messages.decision_makers(account_ids={reminder.renewal.account_id for reminder in mine})
        for reminder in mine:
            messages.customer_reminder_queue(
                reminder, contacts=contacts.get(reminder.renewal.account_id, []), batch=batch
            )
    else:
        at_risk = [reminder.renewal for reminder in mine if reminder.renewal.status == RenewalStatus.AT_RISK]
        managers = messages.managers_of({renewal.account.owner_id for renewal in at_risk})
        for reminder in mine:
            messages.reminder_queue(reminder, batch=batch, managers=managers)
    batch.write()
    return len(mine)
