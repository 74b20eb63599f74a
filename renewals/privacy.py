"""Renewals' part of a contact's personal-data export and erasure (accounts.privacy).

Connected in ``RenewalsConfig.ready``. A customer renewal reminder keeps the address
it was written to (``recipient_email``); the outbox email itself is redacted by
``accounts.privacy``. Erasure replaces the address and keeps the claim, so the reminder
is still never sent twice.
"""

from __future__ import annotations

import re
from typing import Any

from accounts.privacy import ERASED_EMAIL

from .models import ReminderAudience, RenewalReminder

REMINDER_FIELDS = ("threshold_days", "due_date", "days_left", "recipient_email", "claimed_at", "queued_at")


def _customer_reminders(stakeholder: Any, emails: set[str]) -> Any:
    reminders = RenewalReminder.objects.filter(
        renewal__account_id=stakeholder.account_id, audience=ReminderAudience.CUSTOMER
    ).exclude(recipient_email="")
    return [
        reminder for reminder in reminders.order_by("claimed_at", "pk") if reminder.recipient_email.lower() in emails
    ]


def on_personal_data(sender: Any, *, stakeholder: Any, terms: set[str], **kwargs: Any) -> dict[str, Any]:
    emails = {term.lower() for term in terms if "@" in term}
    rows = [
        {"id": r.pk, "renewal_id": r.renewal_id, **{f: getattr(r, f) for f in REMINDER_FIELDS}}
        for r in _customer_reminders(stakeholder, emails)
    ]
    return {"renewal_reminders": rows}


def on_erasing(
    sender: Any, *, stakeholder: Any, pattern: re.Pattern[str] | None, emails: set[str], **kwargs: Any
) -> dict[str, int]:
    ids = [reminder.pk for reminder in _customer_reminders(stakeholder, emails)]
    return {"renewals.renewalreminder": RenewalReminder.objects.filter(pk__in=ids).update(recipient_email=ERASED_EMAIL)}
