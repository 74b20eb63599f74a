"""Each reminder's email, notification and timeline entry, in its reader's language."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import KeyPersonLevel, Stakeholder
from accounts.timeline import TimelineDraft
from core.formatting import money
from core.messages import Message, choice, message
from core.notifications import NotificationDraft, user_language
from core.outbox import EmailDraft
from renewals.models import ReminderAudience, RenewalOpportunity, RenewalReminder, RenewalStatus

from .batch import ReminderBatch
from .due import dedupe_key

logger = logging.getLogger(__name__)

# The outbox renders reminder emails when it delivers them, with this renderer
# (``reminder_emails.reminder_email_render``, registered by the app's config).
REMINDER_RENDERER = "renewals.reminder"


def managers_of(user_ids: set[int | None]) -> dict[int, tuple[int, str]]:
    """The team lead (id, email) of each of these users that has one: one query, none
    for no users. Read through the relations by name: renewals may not import capacity."""
    leads = (
        get_user_model()
        .objects.filter(pk__in=[pk for pk in user_ids if pk is not None], cs_profile__team__lead__isnull=False)
        .values_list("pk", "cs_profile__team__lead_id", "cs_profile__team__lead__email")
    )
    return {pk: (lead_id, email) for pk, lead_id, email in leads}


def reminder_subject_message(*, account_name: str, days_left: int) -> Message:
    if days_left < 0:
        return message(
            gettext_noop("Renewal overdue by %(days)s days: %(account)s"), days=-days_left, account=account_name
        )
    if days_left == 0:
        return message(gettext_noop("Renewal due today: %(account)s"), account=account_name)
    return message(gettext_noop("Renewal in %(days)s days: %(account)s"), days=days_left, account=account_name)


def reminder_subject(*, account_name: str, days_left: int) -> str:
    return reminder_subject_message(account_name=account_name, days_left=days_left).render()


def reminder_summary_message(renewal: RenewalOpportunity) -> Message:
    """The one line under a reminder's title (in-app notification, timeline)."""
    return message(
        gettext_noop("Renewal date %(date)s · ARR %(arr)s · %(status)s"),
        date=renewal.due_date.isoformat(),
        arr=money(renewal.contract.arr),
        status=choice(RenewalOpportunity, "status", renewal.status),
    )


def reminder_summary(renewal: RenewalOpportunity) -> str:
    """``reminder_summary_message`` in the active language."""
    return reminder_summary_message(renewal).render()


def reminder_queue(reminder: RenewalReminder, *, batch: ReminderBatch, managers: dict[int, tuple[int, str]]) -> None:
    """One CSM reminder (subject and summary in the owner's language) into ``batch``; no
    SQL. The email's bodies are rendered by the outbox when it delivers
    (``reminder_emails.reminder_email_render``)."""
    renewal = reminder.renewal
    account = renewal.account
    owner = account.owner
    assert owner is not None  # reminders_due() only picks accounts with an owner
    path = reverse("renewals:detail", args=[renewal.pk])
    cc: list[str] = []
    if renewal.status == RenewalStatus.AT_RISK:
        manager_id, manager_email = managers.get(owner.pk, (None, ""))
        if manager_id != owner.pk and manager_email:
            cc.append(manager_email)
    key = dedupe_key(renewal.pk, reminder.threshold_days)
    with translation.override(user_language(owner)):
        subject = reminder_subject(account_name=account.name, days_left=reminder.days_left)
        batch.emails.append(
            EmailDraft(
                dedupe_key=key,
                to=[owner.email],
                cc=cc,
                subject=subject,
                render_with=REMINDER_RENDERER,
                render_args={"reminder_id": reminder.pk},
            )
        )
        subject_message = reminder_subject_message(account_name=account.name, days_left=reminder.days_left)
        summary_message = reminder_summary_message(renewal)
        batch.notifications.append(
            NotificationDraft(
                recipient=owner,
                kind="renewal_reminder",
                title=subject,  # the fallback, in the owner's language
                message=subject_message,
                body=summary_message.render(),
                body_messages=(summary_message,),
                url=path,
                dedupe_key=key,
            )
        )
        entry = TimelineDraft(
            account=account,
            kind="renewal_reminder_sent",
            message=subject_message,
            body_messages=(summary_message,),
            actor=None,
            data={
                "renewal_id": renewal.pk,
                "threshold_days": reminder.threshold_days,
                "days_left": reminder.days_left,
            },
            dedupe_key=key,
        )
        batch.timeline.append((entry, key))
    batch.sent.append((reminder, key, owner.pk, reminder.recipient_email))


def decision_makers(*, account_ids: set[int]) -> dict[int, list[Stakeholder]]:
    """Active level-1 contacts of these accounts, oldest first: one query."""
    found: dict[int, list[Stakeholder]] = {}
    if not account_ids:
        return found
    for person in Stakeholder.objects.filter(
        account_id__in=account_ids, key_level=KeyPersonLevel.DECISION_MAKER, is_active=True
    ).order_by("pk"):
        found.setdefault(person.account_id, []).append(person)
    return found


def customer_language(contract: Any) -> str:
    return contract.customer_language or settings.HOURGLASS_RENEWAL_CUSTOMER_LANGUAGE


def customer_reminder_subject(*, account_name: str, due_date: date) -> str:
    return _("Your subscription renews on %(date)s: %(account)s") % {
        "date": due_date.isoformat(),
        "account": account_name,
    }


def customer_reminder_queue(reminder: RenewalReminder, *, contacts: list[Stakeholder], batch: ReminderBatch) -> None:
    """One customer reminder (subject in the customer's language) into ``batch``; no SQL.
    The outbox renders the bodies when it delivers, for this contact."""
    renewal = reminder.renewal
    account = renewal.account
    contract = renewal.contract
    contact = next((person for person in contacts if person.email), None)
    if contact is None:
        # Recorded on the claim (visible in the admin and on the renewal), never retried
        # for this threshold: the next threshold tries again.
        reason = (
            gettext_noop("The level-1 contact has no email address.")
            if contacts
            else gettext_noop("No level-1 contact (contract decision maker) on the account.")
        )
        batch.skipped.append((reminder, reason))
        logger.info("customer reminder %s for renewal %s not sent: %s", reminder.threshold_days, renewal.pk, reason)
        return
    owner = account.owner
    key = dedupe_key(renewal.pk, reminder.threshold_days, ReminderAudience.CUSTOMER)
    with translation.override(customer_language(contract)):
        subject = customer_reminder_subject(account_name=account.name, due_date=renewal.due_date)
        batch.emails.append(
            EmailDraft(
                dedupe_key=key,
                to=[contact.email],
                cc=[owner.email] if owner is not None and owner.email else [],
                subject=subject,
                render_with=REMINDER_RENDERER,
                render_args={"reminder_id": reminder.pk, "contact_id": contact.pk},
            )
        )
    entry = TimelineDraft(
        account=account,
        kind="renewal_customer_reminder_sent",
        message=message(gettext_noop("Renewal reminder sent to %(name)s"), name=contact.name),
        body=subject,  # the email's subject, in the customer's language
        actor=None,
        data={
            "renewal_id": renewal.pk,
            "threshold_days": reminder.threshold_days,
            "stakeholder_id": contact.pk,
        },
        dedupe_key=key,
    )
    batch.timeline.append((entry, key))
    batch.sent.append((reminder, key, reminder.recipient_id, contact.email))
