"""People management in the app: who may manage whom, and every write on a person.

Admins manage everyone. A CS manager manages the CSMs of the teams they lead: list,
invite into those teams, set their team (among those teams), deactivate and reactivate
them; never a role above CSM, never another team's people. CSMs manage no one.

Every write is one transaction, recorded in history (``CsProfile`` and, registered in
``org.models``, ``auth.User``), with the acting person as the history user.
Deactivation sends ``org.signals.person_deactivated`` inside its transaction: the
person's accounts become unassigned and their manager gets a task (``accounts`` and
``playbooks`` receive it), or nothing happens at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.tokens import api_token_revoke
from core.types import AnyUser

from .invitations import invitation_create, invitation_send
from .models import CsProfile, Invitation, Role, Team
from .roles import role_of
from .services import person_create
from .sessions import sessions_end_all
from .signals import person_deactivated


def can_manage_people(user: AnyUser) -> bool:
    return role_of(user) in (Role.MANAGER, Role.ADMIN)


def require_people_manager(user: AnyUser) -> None:
    """403 for anyone who manages no one (CSMs); anonymous users are sent to login before."""
    if not can_manage_people(user):
        raise PermissionDenied


def manageable_people_q(user: AnyUser) -> Q:
    """Q over users that ``user`` may manage (see the module docstring)."""
    role = role_of(user)
    if role == Role.ADMIN:
        return Q()
    if role == Role.MANAGER:
        return Q(cs_profile__role=Role.CSM, cs_profile__team__lead_id=user.pk)
    return Q(pk__in=[])


def manageable_teams(user: AnyUser) -> QuerySet[Team]:
    role = role_of(user)
    if role == Role.ADMIN:
        return Team.objects.all()
    if role == Role.MANAGER:
        return Team.objects.filter(lead_id=user.pk)
    return Team.objects.none()


def assignable_roles(user: AnyUser) -> list[tuple[str, Any]]:
    if role_of(user) == Role.ADMIN:
        return list(Role.choices)
    return [(Role.CSM.value, Role.CSM.label)]


def people_list(*, user: AnyUser) -> QuerySet[Any]:
    """The people page's rows: scoped, with profile, team and invitation joined in."""
    return (
        get_user_model()
        .objects.filter(manageable_people_q(user))
        .select_related("cs_profile__team", "invitation")
        .order_by("-is_active", "first_name", "last_name", "username", "pk")
    )


def get_person_for_user(user: AnyUser, pk: Any) -> Any:
    """One person ``user`` may manage, or 404 (another team's people are not revealed)."""
    try:
        return people_list(user=user).get(pk=pk)
    except (get_user_model().DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("No such person.") from exc


def two_factor_by_user(user_ids: list[int]) -> dict[int, bool] | None:
    """Whether each person has a confirmed second factor; None when django-otp is not installed.

    What ``django_otp.devices_for_user(confirmed=True)`` would find, asked set-based: one
    query per device type, not per person, so the list costs the same for 5 or 500 people.
    """
    from django.apps import apps

    if not apps.is_installed("django_otp"):
        return None
    from django_otp.models import Device

    enrolled: set[int] = set()
    for model in apps.get_models():
        if issubclass(model, Device):
            enrolled.update(
                model._default_manager.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True)
            )
    return {pk: pk in enrolled for pk in user_ids}


def _check_role_and_team(*, actor: AnyUser, role: str, team: Team | None, errors: dict[str, str]) -> None:
    if role not in dict(assignable_roles(actor)):
        errors["role"] = _("You cannot give this role.")
    if role_of(actor) != Role.ADMIN:
        if team is None or not manageable_teams(actor).filter(pk=team.pk).exists():
            errors["team"] = _("Choose one of the teams you lead.")
    elif team is not None and not Team.objects.filter(pk=team.pk).exists():
        errors["team"] = _("No such team.")


def _email_taken(email: str, exclude_pk: int | None = None) -> bool:
    users = get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


@transaction.atomic
def person_invite(
    *,
    actor: AnyUser,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.CSM,
    team: Team | None = None,
    language: str = "",
) -> Any:
    """A new login without a password, and the invitation email with its link.

    The email is the username. Errors name the field (``email``, ``role``, ``team``).
    """
    require_people_manager(actor)
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid email address.")
    else:
        if _email_taken(email):
            errors["email"] = _("Someone with this email address already exists.")
    _check_role_and_team(actor=actor, role=role, team=team, errors=errors)
    if errors:
        raise ValidationError(errors)
    user = person_create(
        username=email[:150],
        role=role,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        email=email,
        team=team,
    )
    if language:
        CsProfile.objects.filter(user=user).update(language=language)
        user.cs_profile.language = language
    invitation_create(user=user, actor=actor)
    return user


def is_invited(person: Any) -> bool:
    """Invited and no password set yet."""
    return not person.has_usable_password() and Invitation.objects.filter(user=person, accepted_at=None).exists()


@transaction.atomic
def invitation_resend(*, actor: AnyUser, person: Any) -> Invitation:
    """Send the invitation again: a new link, and the earlier ones stop working."""
    person = get_person_for_user(actor, person.pk)
    if person.has_usable_password():
        raise ValidationError({"person": _("This person has already set a password.")})
    if not person.is_active:
        raise ValidationError({"person": _("Reactivate this person first.")})
    invitation, created = Invitation.objects.select_for_update().get_or_create(
        user=person, defaults={"invited_by": actor, "sent_at": timezone.now()}
    )
    if not created:
        invitation.sent_at = timezone.now()
        invitation.sends += 1
        invitation.accepted_at = None
        invitation.save(update_fields=["sent_at", "sends", "accepted_at"])
    invitation_send(invitation=invitation)
    return invitation


def _active_admins_besides(person: Any) -> int:
    admins = Q(is_superuser=True) | Q(cs_profile__role=Role.ADMIN)
    return get_user_model().objects.filter(admins, is_active=True).exclude(pk=person.pk).count()


def _is_admin(person: Any) -> bool:
    return bool(person.is_superuser) or getattr(getattr(person, "cs_profile", None), "role", None) == Role.ADMIN


def _lock(person: Any, actor: AnyUser) -> Any:
    """The person's row, locked; its history rows will name ``actor`` (pages and services alike)."""
    locked = get_user_model().objects.select_for_update().get(pk=person.pk)
    locked._history_user = actor if actor.is_authenticated else None  # type: ignore[attr-defined]
    return locked


@transaction.atomic
def person_update(*, actor: AnyUser, person: Any, role: str, team: Team | None) -> Any:
    """Set a person's role and team. An admin keeps Django admin access (staff); others lose it."""
    person = get_person_for_user(actor, person.pk)
    errors: dict[str, str] = {}
    _check_role_and_team(actor=actor, role=role, team=team, errors=errors)
    if role != Role.ADMIN and _is_admin(person) and person.is_active and _active_admins_besides(person) == 0:
        errors["role"] = _("This is the last active admin: make someone else an admin first.")
    if errors:
        raise ValidationError(errors)
    person = _lock(person, actor)
    profile, _created = CsProfile.objects.get_or_create(user=person)
    profile._history_user = person._history_user  # type: ignore[attr-defined]
    if (profile.role, profile.team_id) != (role, getattr(team, "pk", None)):
        profile.role, profile.team = role, team
        profile.full_clean()
        profile.save()
    admin = role == Role.ADMIN
    if (person.is_staff, person.is_superuser) != (admin, admin):
        person.is_staff = person.is_superuser = admin
        person.save(update_fields=["is_staff", "is_superuser"])
    return person


@dataclass(frozen=True)
class Deactivation:
    person: Any
    changed: bool  # False when the person was inactive already (nothing done twice)


@transaction.atomic
def person_deactivate(*, actor: AnyUser, person: Any) -> Deactivation:
    """Deactivate a login: no more sign-in, API token revoked, every session ended; their
    accounts become unassigned with a task for their manager (signal receivers)."""
    person = get_person_for_user(actor, person.pk)
    if person.pk == actor.pk:
        raise ValidationError({"person": _("You cannot deactivate yourself.")})
    person = _lock(person, actor)
    if not person.is_active:
        return Deactivation(person=person, changed=False)
    if _is_admin(person) and _active_admins_besides(person) == 0:
        raise ValidationError({"person": _("This is the last active admin: it cannot be deactivated.")})
    person.is_active = False
    person.save(update_fields=["is_active"])
    api_token_revoke(user=person)
    sessions_end_all(user=person)
    person_deactivated.send(sender=type(person), person=person, actor=actor)
    return Deactivation(person=person, changed=True)


@transaction.atomic
def person_reactivate(*, actor: AnyUser, person: Any) -> Any:
    """Let a deactivated person sign in again (their former accounts stay with whoever has them now)."""
    person = _lock(get_person_for_user(actor, person.pk), actor)
    if not person.is_active:
        person.is_active = True
        person.save(update_fields=["is_active"])
    return person
