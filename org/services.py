"""Writes for people: users with their customer-success role and team."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import CsProfile, Role, Team


@transaction.atomic
def person_create(
    *,
    username: str,
    role: str = Role.CSM,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    team: Team | None = None,
    industries: Sequence[str] = (),
) -> Any:
    """A login with its profile. Admins also get Django admin access (staff)."""
    User = get_user_model()
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    profile = CsProfile(user=user, role=role, team=team, industries=list(industries))
    profile.full_clean()
    profile.save()
    return user


@transaction.atomic
def team_create(*, name: str, lead: Any = None) -> Team:
    team = Team(name=name, lead=lead)
    team.full_clean()
    team.save()
    return team
