"""Who may see and edit which customer accounts: the one place the rule is applied.

Pages and API alike read accounts through ``accounts.selectors``, which filter by the
rule here. CSM: the accounts they own. CS manager: their own plus those of the members
of the teams they lead, and the unassigned accounts waiting in those teams' queue (a
deactivated member's accounts, until someone is given them). Sales rep and
implementation: the accounts they are the sales or implementation owner of (and any
they own). Admin: everything, unassigned accounts included.
"""

from __future__ import annotations

from django.db.models import Q

from core.types import AnyUser
from org.models import Role
from org.roles import role_of

__all__ = ["NOTHING", "AnyUser", "assignable_owners_q", "can_review_dossiers", "visible_accounts_q"]

NOTHING = Q(pk__in=[])


def visible_accounts_q(user: AnyUser) -> Q | None:
    """Q over ``Account`` for what ``user`` may see and edit; ``None`` means all."""
    role = role_of(user)
    if role is None:
        return NOTHING
    if role == Role.ADMIN:
        return None
    if role == Role.MANAGER:
        return (
            Q(owner_id=user.pk)
            | Q(owner__cs_profile__team__lead_id=user.pk)
            | Q(owner__isnull=True, queue_team__lead_id=user.pk)
        )
    if role in (Role.SALES, Role.IMPLEMENTATION):
        # The accounts handed to them for onboarding or expansion, and any they own.
        return Q(owner_id=user.pk) | Q(sales_owner_id=user.pk) | Q(implementation_owner_id=user.pk)
    return Q(owner_id=user.pk)


def assignable_owners_q(user: AnyUser) -> Q | None:
    """Q over users that ``user`` may make an account's owner; ``None`` means all."""
    role = role_of(user)
    if role is None:
        return NOTHING
    if role == Role.ADMIN:
        return Q(cs_profile__role__in=[Role.CSM, Role.MANAGER])
    if role == Role.MANAGER:
        return Q(pk=user.pk) | Q(cs_profile__team__lead_id=user.pk)
    return Q(pk=user.pk)


def can_review_dossiers(user: AnyUser) -> bool:
    """Whether ``user`` reviews dossier quality (for the accounts in their scope)."""
    return role_of(user) in (Role.MANAGER, Role.ADMIN)
