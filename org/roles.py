"""A person's customer-success role, read once per request."""

from __future__ import annotations

from core.types import AnyUser

from .models import CsProfile, Role


def role_of(user: AnyUser) -> str | None:
    """The user's customer-success role; superusers are admins; ``None`` if anonymous."""
    if not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    try:
        # Django caches the reverse one-to-one on the user object: one query a request.
        return str(user.cs_profile.role)  # type: ignore[attr-defined]
    except CsProfile.DoesNotExist:
        return Role.CSM


def is_manager_or_admin(user: AnyUser) -> bool:
    return role_of(user) in (Role.MANAGER, Role.ADMIN)
