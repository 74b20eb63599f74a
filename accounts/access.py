"""Who may see and edit which customer accounts: the one place the rule is applied.

Pages and API alike read accounts through ``accounts.selectors``, which filter by
the policy here. The rule itself depends on roles and teams (``capacity``); since
``accounts`` imports no other app, the policy is named in the setting
``HOURGLASS_ACCOUNT_ACCESS_POLICY`` and loaded at run time.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils.module_loading import import_string

AnyUser = AbstractBaseUser | AnonymousUser

NOTHING = Q(pk__in=[])


class AccountAccessPolicy(Protocol):
    def visible_accounts_q(self, user: AnyUser) -> Q | None:
        """Q over ``Account`` for what ``user`` may see and edit; ``None`` means all."""

    def assignable_owners_q(self, user: AnyUser) -> Q | None:
        """Q over users that ``user`` may make an account's owner; ``None`` means all."""

    def can_review_dossiers(self, user: AnyUser) -> bool:
        """Whether ``user`` reviews dossier quality (for the accounts in their scope)."""


class OwnerOnlyPolicy:
    """Fallback: superusers see everything, everyone else only the accounts they own."""

    def visible_accounts_q(self, user: AnyUser) -> Q | None:
        if not user.is_authenticated or not user.is_active:
            return NOTHING
        if getattr(user, "is_superuser", False):
            return None
        return Q(owner_id=user.pk)

    def assignable_owners_q(self, user: AnyUser) -> Q | None:
        if not user.is_authenticated or not user.is_active:
            return NOTHING
        if getattr(user, "is_superuser", False):
            return None
        return Q(pk=user.pk)

    def can_review_dossiers(self, user: AnyUser) -> bool:
        return bool(user.is_authenticated and getattr(user, "is_superuser", False))


@cache
def _load_policy(path: str) -> AccountAccessPolicy:
    return import_string(path)()


def access_policy() -> AccountAccessPolicy:
    path = getattr(settings, "HOURGLASS_ACCOUNT_ACCESS_POLICY", "")
    return _load_policy(path) if path else OwnerOnlyPolicy()
