"""Health's part of a contact's personal-data export and erasure (accounts.privacy).

Connected in ``HealthConfig.ready``. An NPS response names its respondent through
``stakeholder``; its comment is the respondent's own words. Erasure blanks the comments
of the contact's responses and redacts mentions of them in the account's other comments;
score, date and account stay, so the NPS figures do not change.
"""

from __future__ import annotations

import re
from typing import Any

from core.privacy import history_rows, mentioning_rows, redact_rows, redaction_pattern

from .models import NpsResponse

NPS_FIELDS = ("score", "comment", "responded_on", "external_id", "created_at")


def _response(response: NpsResponse) -> dict[str, Any]:
    return {"id": response.pk, "account_id": response.account_id, **{f: getattr(response, f) for f in NPS_FIELDS}}


def on_personal_data(sender: Any, *, stakeholder: Any, terms: set[str], **kwargs: Any) -> dict[str, Any]:
    own = NpsResponse.objects.filter(stakeholder=stakeholder).order_by("responded_on", "pk")
    others = NpsResponse.objects.filter(account_id=stakeholder.account_id).exclude(stakeholder=stakeholder)
    return {
        "nps_responses": [_response(response) for response in own],
        "nps_mentions": mentioning_rows(others, fields=("comment",), pattern=redaction_pattern(terms)),
    }


def on_erasing(
    sender: Any, *, stakeholder: Any, pattern: re.Pattern[str] | None, replacement: str, **kwargs: Any
) -> dict[str, int]:
    own = NpsResponse.objects.filter(stakeholder=stakeholder)
    ids = list(own.values_list("pk", flat=True))
    counts = {"health.npsresponse": own.exclude(comment="").update(comment="")}
    past = history_rows(NpsResponse, ids)
    if past is not None:  # once NPS responses keep history, the history forgets the comments too
        past.update(comment="")
    if pattern is not None:
        others = NpsResponse.objects.filter(account_id=stakeholder.account_id).exclude(pk__in=ids)
        counts["health.npsresponse_mentions"] = redact_rows(
            others, fields=("comment",), pattern=pattern, replacement=replacement
        )
    return counts
