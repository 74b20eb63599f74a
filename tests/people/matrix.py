"""Permission-matrix entries of the people pages and the sessions page (see tests/matrix_support.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from org.models import UserSession
from tests.matrix_support import e

ENTRIES = {
    "people:list": e("manager_page"),
    "people:invite": e("manager_page"),
    "people:detail": e("team_person", pk="person"),
    "people:deactivate": e("team_person", "post", pk="person"),
    "people:reactivate": e("team_person", "post", pk="person"),
    "people:resend_invitation": e("team_person", "post", pk="person"),
    "people:end_sessions": e("admin_page", "post", pk="person"),
    "invite_accept": e("public", uidb64="invite_uid", token="invite_token"),
    "sessions:list": e("page"),
    "sessions:end_others": e("page", "post"),
    "sessions:end": e("own_record", "post", pk="user_session"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    session = UserSession.objects.create(user=org.csm_a1, session_key="matrix-session", last_seen=timezone.now())
    return {"person": org.csm_a1, "invite_uid": "MQ", "invite_token": "abc-def", "user_session": session}
