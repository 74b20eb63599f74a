"""Who may manage and send surveys (the accounts they reach come from ``accounts.access``)."""

from __future__ import annotations

from core.types import AnyUser
from org.models import Role
from org.roles import role_of


def can_manage_surveys(user: AnyUser) -> bool:
    """Create and edit surveys: managers and admins."""
    return role_of(user) in (Role.MANAGER, Role.ADMIN)


def can_send_surveys(user: AnyUser) -> bool:
    """Send a survey to the contacts of one's own accounts (CSM) or team's (manager)."""
    return role_of(user) in (Role.CSM, Role.MANAGER, Role.ADMIN)


def can_clear_bounces(user: AnyUser) -> bool:
    """See bounced addresses and clear a bounce (the address was fixed): admins."""
    return role_of(user) == Role.ADMIN
