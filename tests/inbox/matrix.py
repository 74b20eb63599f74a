"""Permission-matrix entries of the unmatched inbox (see tests/matrix_support.py).

The list is every person's page (each sees their own scope, test_pages.py); an email
csm_a1 sent is theirs, their manager's and the admins' — a 404 for everyone else.
"""

from __future__ import annotations

from typing import Any

from integrations.inbox.models import InboundEmail, InboundStatus
from tests.matrix_support import e

ENTRIES = {
    "inbox:unmatched": e("page"),
    "inbox:detail": e("scoped", pk="inbound_email"),
    "inbox:assign": e("scoped", "post", pk="inbound_email"),
    # The first allowed role dismisses it; the later ones get the 400 "no longer waiting".
    "inbox:dismiss": e("scoped", "post", pk="inbound_email"),
    "api:inbox-unmatched-list": e("api"),
    "api:inbox-unmatched-detail": e("api_scoped", pk="inbound_email"),
    "api:inbox-unmatched-assign": e("api_scoped", "post", pk="inbound_email"),
    "api:inbox-unmatched-dismiss": e("api_scoped", "post", pk="inbound_email"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    email = InboundEmail.objects.create(
        message_id="<matrix@example.com>", sender=org.csm_a1, subject="Re: order 4711", status=InboundStatus.UNMATCHED
    )
    return {"inbound_email": email}
