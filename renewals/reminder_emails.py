"""The bodies of renewal reminder emails, rendered by the outbox when it delivers them.

The sweep only records each reminder (claim, outbox row with its subject, notification,
timeline entry); the text and HTML bodies are rendered here, in the recipient's
language, by the delivery worker on the first attempt (``core.outbox`` keeps them for
any retry). So the nightly job stays cheap however many reminders fall due, and the
rendering runs in the delivery workers, in parallel. The email shows the renewal as it
is when sent (status, forecast, the latest health score) and the days left as claimed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Stakeholder
from core.formatting import money
from core.notifications import user_language
from core.people import display_name
from health.selectors import latest_score

from .models import ReminderAudience, RenewalOpportunity, RenewalReminder
from .reminders import customer_language, customer_reminder_subject, reminder_subject


def reminder_email_render(*, reminder_id: int, contact_id: int | None = None) -> tuple[str, str]:
    """(text, HTML) of the reminder claimed as ``reminder_id``: two queries."""
    claims = RenewalReminder.objects.select_related(
        "recipient__cs_profile", "renewal__account__owner", "renewal__contract"
    ).annotate(health_score=latest_score("renewal__account_id"))
    reminder = claims.get(pk=reminder_id)
    if reminder.audience == ReminderAudience.CUSTOMER:
        if contact_id is None:
            raise ValueError(f"customer reminder {reminder_id} rendered without its contact")
        return _customer_bodies(reminder, contact=Stakeholder.objects.get(pk=contact_id))
    return _csm_bodies(reminder)


def reminder_facts(renewal: RenewalOpportunity, *, days_left: int, health_score: int | None) -> list[tuple[str, str]]:
    """What a CSM reminder says about the renewal, as (label, value) pairs in the active
    language: the text and the HTML body list the same facts, translated once."""
    facts = [
        (_("Account"), renewal.account.name),
        (_("Renewal date"), renewal.due_date.isoformat()),
        (_("Days left"), str(days_left)),
        (_("ARR"), money(renewal.contract.arr)),
        (_("Forecast ARR"), money(renewal.forecast_arr)),
        (_("Health score"), "—" if health_score is None else str(health_score)),
        (_("Status"), renewal.get_status_display()),
    ]
    if renewal.risk_reason:
        facts.append((_("Risk"), renewal.risk_reason))
    return facts


def _csm_bodies(reminder: RenewalReminder) -> tuple[str, str]:
    renewal = reminder.renewal
    recipient = reminder.recipient  # whom it was addressed to, even if the account changed hands since
    link = settings.HOURGLASS_BASE_URL.rstrip("/") + reverse("renewals:detail", args=[renewal.pk])
    with translation.override(user_language(recipient)):
        context = {
            "recipient": recipient,
            "reminder": reminder,
            "late": reminder.days_left < reminder.threshold_days,
            "facts": reminder_facts(
                renewal, days_left=reminder.days_left, health_score=getattr(reminder, "health_score", None)
            ),
            "subject": reminder_subject(account_name=renewal.account.name, days_left=reminder.days_left),
            "link": link,
        }
        return _render_both("renewals/email/reminder", context)


def _customer_bodies(reminder: RenewalReminder, *, contact: Stakeholder) -> tuple[str, str]:
    renewal = reminder.renewal
    account = renewal.account
    contract = renewal.contract
    owner = account.owner
    with translation.override(customer_language(contract)):
        context = {
            "contact": contact,
            "account": account,
            "renewal": renewal,
            "contract": contract,
            "days_left": reminder.days_left,
            "owner": owner,
            "owner_name": display_name(owner) if owner is not None else "",
            "subject": customer_reminder_subject(account_name=account.name, due_date=renewal.due_date),
        }
        return _render_both("renewals/email/customer_reminder", context)


def _render_both(template: str, context: dict[str, Any]) -> tuple[str, str]:
    return render_to_string(f"{template}.txt", context), render_to_string(f"{template}.html", context)
