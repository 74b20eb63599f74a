"""The role rule for customer accounts (plugged into ``accounts.access``).

CSM: the accounts they own. CS manager: their own plus those of the members of the
teams they lead. Admin: everything, unassigned accounts included.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.access import NOTHING, AnyUser

from .models import Role
from .roles import role_of


class RoleAccessPolicy:
    def visible_accounts_q(self, user: AnyUser) -> Q | None:
        role = role_of(user)
        if role is None:
            return NOTHING
        if role == Role.ADMIN:
            return None
        if role == Role.MANAGER:
            return Q(owner_id=user.pk) | Q(owner__cs_profile__team__lead_id=user.pk)
        return Q(owner_id=user.pk)

    def assignable_owners_q(self, user: AnyUser) -> Q | None:
        role = role_of(user)
        if role is None:
            return NOTHING
        if role == Role.ADMIN:
            return Q(cs_profile__role__in=[Role.CSM, Role.MANAGER])
        if role == Role.MANAGER:
            return Q(pk=user.pk) | Q(cs_profile__team__lead_id=user.pk)
        return Q(pk=user.pk)

    def can_review_dossiers(self, user: AnyUser) -> bool:
        return role_of(user) in (Role.MANAGER, Role.ADMIN)
