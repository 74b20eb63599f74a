"""The inbox's part of a contact's personal-data export and erasure (accounts.privacy).

Connected in ``InboxConfig.ready``. A stored email names a contact in its addresses, its
subject and its text: erasure redacts them there (the timeline entry it became is the
timeline's own, redacted by accounts). Looked at: the emails on the contact's account,
the parked ones, and any addressed to one of the contact's addresses.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from core.privacy import mentioning_rows, redact_rows, redaction_pattern

from .models import InboundEmail

FIELDS = ("from_header", "subject", "body", "to_addresses", "forwarded_addresses")


def _candidates(stakeholder: Any, terms: set[str]) -> QuerySet[InboundEmail]:
    condition = Q(account_id=stakeholder.account_id) | Q(account__isnull=True)
    for address in {term.lower() for term in terms if "@" in term}:
        condition |= Q(to_addresses__icontains=address) | Q(forwarded_addresses__icontains=address)
    return InboundEmail.objects.filter(condition)


def on_personal_data(sender: Any, *, stakeholder: Any, terms: set[str], **kwargs: Any) -> dict[str, Any]:
    return {
        "inbound_emails": mentioning_rows(
            _candidates(stakeholder, terms), fields=FIELDS, pattern=redaction_pattern(terms)
        )
    }


def on_erasing(
    sender: Any, *, stakeholder: Any, pattern: re.Pattern[str] | None, replacement: str, emails: Any = (), **kwargs: Any
) -> dict[str, int]:
    if pattern is None:
        return {}
    rows = _candidates(stakeholder, set(emails))
    return {"inbox.inboundemail": redact_rows(rows, fields=FIELDS, pattern=pattern, replacement=replacement)}
