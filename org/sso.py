"""Single sign-on (OIDC) with mozilla-django-oidc: who a provider's identity is here.

``OidcBackend`` runs the authorization-code flow (token, ID token, userinfo) and maps the
identity to a Hourglass user by email (case-insensitive), optionally creating one just in
time. ``SsoOnlyPasswordGuard`` keeps passwords for admins when ``HOURGLASS_SSO_ONLY`` is on.

A refusal raises ``PermissionDenied`` so that Django's ``authenticate()`` stops and sends
``user_login_failed`` (django-axes counts it); its reason is left on the request for the
callback view to show.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .models import Role
from .roles import role_of
from .services import person_create
from .sso_config import SsoUnavailable, endpoints, sso_enabled, sso_only

logger = logging.getLogger(__name__)

# Why a sign-in was refused; the callback view turns each into a translated message.
NO_EMAIL = "no_email"
UNVERIFIED_EMAIL = "unverified_email"
UNKNOWN = "unknown"
AMBIGUOUS = "ambiguous"
INACTIVE = "inactive"
UNREACHABLE = "unreachable"
INVALID_TOKEN = "invalid_token"  # noqa: S105 (a refusal reason, not a secret)
REFUSAL_ATTRIBUTE = "hourglass_sso_refusal"

USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


class SsoRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sso_refusal(request: HttpRequest) -> str | None:
    return getattr(request, REFUSAL_ATTRIBUTE, None)


def _refuse(request: HttpRequest | None, reason: str) -> PermissionDenied:
    if request is not None:
        setattr(request, REFUSAL_ATTRIBUTE, reason)
    return PermissionDenied(reason)


def _free_username(email: str) -> str:
    User = get_user_model()
    base = USERNAME_UNSAFE.sub("_", email.lower())[:140]
    candidate, n = base, 1
    while User._default_manager.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def sso_user_for_claims(claims: Mapping[str, Any]) -> Any:
    """The active Hourglass user the provider's claims name, by email; raises ``SsoRefused``.

    An email the provider says is unverified is refused: matching on it would let anyone
    who can register that address at the provider take over the Hourglass user.
    """
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise SsoRefused(NO_EMAIL)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise SsoRefused(NO_EMAIL) from exc
    if claims.get("email_verified") is False:
        raise SsoRefused(UNVERIFIED_EMAIL)
    users = list(get_user_model()._default_manager.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise SsoRefused(AMBIGUOUS)
    if users:
        if not users[0].is_active:
            raise SsoRefused(INACTIVE)
        return users[0]
    if not getattr(settings, "HOURGLASS_SSO_CREATE_USERS", False):
        raise SsoRefused(UNKNOWN)
    user = person_create(
        username=_free_username(email),
        role=getattr(settings, "HOURGLASS_SSO_DEFAULT_ROLE", Role.CSM),
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    logger.info("SSO created user %s (role %s)", user.username, user.cs_profile.role)
    return user


class OidcBackend(OIDCAuthenticationBackend):
    """The OIDC code flow of mozilla-django-oidc, with Hourglass's matching and refusals.

    Construction is cheap (Django builds a backend per request to load the session's
    user); the provider's endpoints are resolved only when a sign-in is authenticated.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()

    def _configure(self) -> None:
        found = endpoints()
        self.OIDC_OP_TOKEN_ENDPOINT = found.token
        self.OIDC_OP_USER_ENDPOINT = found.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks
        self.issuer = found.issuer
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = getattr(settings, "OIDC_RP_SIGN_ALGO", "RS256")
        self.OIDC_RP_IDP_SIGN_KEY = getattr(settings, "OIDC_RP_IDP_SIGN_KEY", None) or None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not sso_enabled() or not request.GET.get("code"):
            return None
        try:
            self._configure()
            return super().authenticate(request, **kwargs)
        except (SsoUnavailable, requests.RequestException, ValueError) as exc:
            logger.warning("SSO: the provider could not be reached or answered badly: %s", exc)
            raise _refuse(request, UNREACHABLE) from exc
        except (SuspiciousOperation, jwt.PyJWTError) as exc:
            logger.warning("SSO: the provider's token was refused: %s", exc)
            raise _refuse(request, INVALID_TOKEN) from exc

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token (not a signed userinfo answer)
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if self.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("ID token issued for another client")
            if self.issuer and payload.get("iss") != self.issuer:
                raise SuspiciousOperation("ID token from another issuer")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: Mapping[str, Any]) -> Any:
        claims = {**payload, **self.get_userinfo(access_token, id_token, payload)}
        try:
            return sso_user_for_claims(claims)
        except SsoRefused as refused:
            logger.info("SSO refused %s: %s", claims.get("email"), refused.reason)
            raise _refuse(self.request, refused.reason) from refused

    def get_user(self, user_id: Any) -> Any:
        # Django's rule, not the library's: a deactivated user's SSO session ends too.
        return ModelBackend.get_user(self, user_id)


class SsoOnlyPasswordGuard:
    """In SSO-only mode, refuses password sign-in of anyone but an admin (break-glass).

    Sits between django-axes and ``ModelBackend``; it never signs anyone in itself. The
    password is hashed anyway, so the answer takes as long as a real check.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if not sso_only() or username is None or password is None:
            return None
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            return None
        if role_of(user) == Role.ADMIN:
            return None
        make_password(password)
        raise PermissionDenied("password sign-in is for admins only in SSO-only mode")
