"""Single sign-on pages: the login form's SSO-only rule, the start and the return of OIDC.

Every failure lands on the login page with a message saying what happened; none is a
server error. Successful sign-ins go through ``django.contrib.auth.login`` (inside
mozilla-django-oidc), so ``user_logged_in`` fires and django-axes logs the access.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import sso
from .sso_config import SsoUnavailable, endpoints, provider_name, sso_enabled, sso_only

logger = logging.getLogger(__name__)

PROVIDER_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


def refusal_message(reason: str) -> str:
    name = provider_name()
    text = {
        sso.NO_EMAIL: _("%(provider)s did not give Hourglass a valid email address, so you cannot be signed in."),
        sso.UNVERIFIED_EMAIL: _("%(provider)s has not verified your email address; verify it there first."),
        sso.UNKNOWN: _("No Hourglass user has the email address %(provider)s gave. Ask an admin to add you."),
        sso.AMBIGUOUS: _("Several Hourglass users share your email address; an admin must resolve it first."),
        sso.INACTIVE: _("Your Hourglass user is deactivated. Ask an admin to reactivate it."),
        sso.UNREACHABLE: _("%(provider)s could not be reached. Try again in a moment."),
        sso.INVALID_TOKEN: _("The answer from %(provider)s could not be verified. Try again."),
        "expired": _("The sign-in expired or was started in another window. Try again."),
        "off": _("Single sign-on is not configured."),
    }.get(reason, _("Single sign-on failed. Try again."))
    return text % {"provider": name}


def _to_login(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("login")


class SsoLoginForm(AuthenticationForm):
    """Django's login form; in SSO-only mode a refusal says where everyone else signs in.

    The message is the same whether the user exists, is not an admin or typed a wrong
    password: it reveals nothing about the username.
    """

    def get_invalid_login_error(self) -> ValidationError:
        if sso_only():
            return ValidationError(
                _(
                    "Wrong username or password. Only admins sign in with a password here; "
                    "everyone else signs in with %(provider)s."
                ),
                code="sso_only",
                params={"provider": provider_name()},
            )
        return super().get_invalid_login_error()


class SsoAuthenticateView(OIDCAuthenticationRequestView):
    """``/oidc/authenticate/``: sends the browser to the provider (state, nonce, PKCE in the session)."""

    def __init__(self, **kwargs: Any) -> None:
        # The library reads its settings here; they are read per request below instead.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            return _to_login(request, refusal_message("off"))
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoints().authorization
        except SsoUnavailable as exc:
            logger.warning("SSO: %s", exc)
            return _to_login(request, refusal_message(sso.UNREACHABLE))
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """``/oidc/callback/``: the provider sends the browser back here with a code (or an error)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            return _to_login(request, refusal_message("off"))
        try:
            return super().get(request)
        except SuspiciousOperation:
            # The state is not one this browser's session started: expired, replayed or forged.
            return _to_login(request, refusal_message("expired"))

    def login_failure(self) -> HttpResponse:
        request = self.request
        error = request.GET.get("error", "")
        if error:
            code = error if PROVIDER_ERROR_CODE.match(error) else "error"
            message = _("%(provider)s did not sign you in (%(code)s).") % {"provider": provider_name(), "code": code}
            return _to_login(request, message)
        # No refusal recorded: no code, or no sign-in started in this session (it expired).
        return _to_login(request, refusal_message(sso.sso_refusal(request) or "expired"))
