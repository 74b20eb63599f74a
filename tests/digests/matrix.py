"""Permission-matrix entries of the notification preferences and calendar feeds (see
tests/matrix_support.py): the page is everyone's own; the feed is public by its secret
token (tests/digests/test_calendar.py proves unknown and revoked tokens 404)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import e

ENTRIES = {
    "digests:preferences": e("page"),
    "digests:preview": e("page"),
    "digests:calendar": e("page", "post"),
    "digests:calendar_feed": e("public", token="calendar_token"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    from integrations.digests.calendar import calendar_feed_issue

    return {"calendar_token": calendar_feed_issue(user=org.csm_a1)}
