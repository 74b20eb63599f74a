"""Who may do what in the knowledge app.

Cases: approved cases are the shared library (everyone signed in reads them); drafts
and submissions are visible to their author, the author's team lead (who approves
them) and admins. Feedback: managers and admins run the board (they act as the
product managers); a CSM reads only the requests linked to their own accounts.
Campaigns: managers and admins create and launch them; everyone sees the funnel of
the accounts in their own scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.access import NOTHING, AnyUser
from org.models import Role
from org.roles import is_manager_or_admin, role_of

__all__ = ["can_manage", "can_review_case", "case_visibility_q", "is_manager_or_admin"]


def can_manage(user: AnyUser) -> bool:
    """Runs the feedback board and the campaigns."""
    return is_manager_or_admin(user)


def case_visibility_q(user: AnyUser) -> Q | None:
    """Q over ``Case``; None means every case."""
    role = role_of(user)
    if role is None:
        return NOTHING
    if role == Role.ADMIN:
        return None
    visible = Q(status="approved") | Q(author_id=user.pk)
    if role == Role.MANAGER:
        visible |= Q(author__cs_profile__team__lead_id=user.pk) & ~Q(status="draft")
    return visible


def can_review_case(user: AnyUser, case: Any) -> bool:
    """Admins, or the lead of the author's team; never the author themselves."""
    role = role_of(user)
    if role is None or case.author_id == user.pk:
        return False
    if role == Role.ADMIN:
        return True
    if role != Role.MANAGER or case.author is None:
        return False
    profile = getattr(case.author, "cs_profile", None)
    team = getattr(profile, "team", None)
    return bool(team and team.lead_id == user.pk)
