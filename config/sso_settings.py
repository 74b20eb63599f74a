"""Single sign-on (OIDC, mozilla-django-oidc) settings from the environment; docs/sso.md.

``config/settings.py`` imports these and, when ``OIDC_RP_CLIENT_ID`` is set, adds the app
and the authentication backends. Read after settings loaded ``.env``.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

# Off unless OIDC_RP_CLIENT_ID is set. Endpoints come from OIDC_OP_DISCOVERY (the
# provider's .well-known/openid-configuration URL) or one by one; explicit ones win.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_DISCOVERY = env.str("OIDC_OP_DISCOVERY", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
HOURGLASS_SSO_PROVIDER_NAME = env.str("HOURGLASS_SSO_PROVIDER_NAME", default="")
# Just-in-time users: an unknown email from the provider becomes a user with this role.
HOURGLASS_SSO_CREATE_USERS = env.bool("HOURGLASS_SSO_CREATE_USERS", default=False)
HOURGLASS_SSO_DEFAULT_ROLE = env.str("HOURGLASS_SSO_DEFAULT_ROLE", default="csm")
if HOURGLASS_SSO_DEFAULT_ROLE not in ("csm", "manager"):
    raise ImproperlyConfigured("HOURGLASS_SSO_DEFAULT_ROLE must be csm or manager (admins are made by hand)")
# SSO only: passwords sign in admins alone (break-glass); everyone else uses the provider.
HOURGLASS_SSO_ONLY = env.bool("HOURGLASS_SSO_ONLY", default=False)
if OIDC_RP_CLIENT_ID:
    _endpoints = [
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_USER_ENDPOINT,
        OIDC_OP_JWKS_ENDPOINT,
    ]
    if not OIDC_OP_DISCOVERY and not all(_endpoints):
        raise ImproperlyConfigured(
            "OIDC_RP_CLIENT_ID is set: set OIDC_OP_DISCOVERY, or all of OIDC_OP_AUTHORIZATION_ENDPOINT, "
            "OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT and OIDC_OP_JWKS_ENDPOINT"
        )
