"""Invitations: a one-time, expiring link by email to set one's first password.

The token is Django's password-reset token (an HMAC of the user's id, password hash,
last login, email and the time it was made) with this module's salt and one more
ingredient: the invitation's ``sent_at``. So a link works until the first of:
- the password is set (the hash changes: the link was used),
- the person is invited again (``sent_at`` changes: only the newest link works),
- ``HOURGLASS_INVITE_DAYS`` have passed since the link was made (it expired).

The email is rendered by the outbox worker when it delivers (renderer
``org.invitation``): the link is made then, in the person's language.
"""

from __future__ import annotations

import enum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from core.outbox import EmailDraft, emails_enqueue
from core.people import display_name

from .models import Invitation

INVITATION_RENDERER = "org.invitation"


class TokenState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"  # used, replaced by a newer invitation, tampered with, or no such person


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "hourglass.org.invitations"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0, tzinfo=None)
        sent = Invitation.objects.filter(user=user).values_list("sent_at", flat=True).first()
        return f"{user.pk}{user.password}{login}{timestamp}{user.email}{user.is_active}{sent}"

    def make_token_at(self, user: Any, timestamp: int) -> str:
        """The token as made at ``timestamp`` (seconds since 2001-01-01): tests and expiry."""
        return self._make_token_with_timestamp(user, timestamp, self.secret)

    def now_timestamp(self) -> int:
        return self._num_seconds(self._now())

    def state(self, user: Any, token: str) -> TokenState:
        """Like ``check_token``, but telling an expired link from one that never works."""
        if user is None or not token or "-" not in token:
            return TokenState.INVALID
        ts_b36 = token.split("-", 1)[0]
        try:
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return TokenState.INVALID
        secrets = [self.secret, *self.secret_fallbacks]
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token) for secret in secrets
        ):
            return TokenState.INVALID
        if self.now_timestamp() - timestamp > settings.HOURGLASS_INVITE_DAYS * 24 * 3600:
            return TokenState.EXPIRED
        return TokenState.VALID


invitation_tokens = InvitationTokenGenerator()


def invitation_path(user: Any, token: str | None = None) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("invite_accept", kwargs={"uidb64": uidb64, "token": token or invitation_tokens.make_token(user)})


def user_from_uidb64(uidb64: str) -> Any:
    """The invited person the link names, or None (bad id, no such person, deactivated)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    if not -(2**63) < pk < 2**63:
        return None
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def invitation_subject(language: str) -> str:
    with translation.override(language):
        return _("You are invited to Hourglass")


def invitation_send(*, invitation: Invitation) -> None:
    """Queue the email of this send (one per send: the dedupe key counts them)."""
    user = invitation.user
    language = getattr(getattr(user, "cs_profile", None), "language", "") or settings.LANGUAGE_CODE
    emails_enqueue(
        [
            EmailDraft(
                dedupe_key=f"org.invitation:{invitation.pk}:{invitation.sends}",
                to=[user.email],
                subject=invitation_subject(language),
                render_with=INVITATION_RENDERER,
                render_args={"invitation_id": invitation.pk},
            )
        ]
    )


@transaction.atomic
def invitation_create(*, user: Any, actor: Any) -> Invitation:
    invitation = Invitation.objects.create(user=user, invited_by=actor, sent_at=timezone.now())
    invitation_send(invitation=invitation)
    return invitation


def invitation_email_render(*, invitation_id: int) -> tuple[str, str]:
    """(text, HTML) of an invitation email, with a link made now."""
    invitation = Invitation.objects.select_related("user__cs_profile", "invited_by").get(pk=invitation_id)
    user = invitation.user
    language = getattr(getattr(user, "cs_profile", None), "language", "") or settings.LANGUAGE_CODE
    link = settings.HOURGLASS_BASE_URL.rstrip("/") + invitation_path(user)
    with translation.override(language):
        context = {
            "name": display_name(user),
            "inviter": display_name(invitation.invited_by) if invitation.invited_by else "",
            "username": user.get_username(),
            "link": link,
            "days": settings.HOURGLASS_INVITE_DAYS,
        }
        return (
            render_to_string("org/email/invitation.txt", context),
            render_to_string("org/email/invitation.html", context),
        )
