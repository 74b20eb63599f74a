"""Single sign-on (OIDC) configuration: what is switched on, and the provider's endpoints.

Read at request time from settings (so a test can point the app at a provider with
``override_settings``). Endpoints come from ``OIDC_OP_DISCOVERY`` (the provider's
``.well-known/openid-configuration``, fetched once an hour) unless set explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

DISCOVERY_CACHE_SECONDS = 3600
# The discovery document's key for each endpoint setting mozilla-django-oidc reads.
ENDPOINT_KEYS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class SsoUnavailable(Exception):
    """The provider's discovery document could not be read (down, or not OIDC)."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str
    issuer: str


def sso_enabled() -> bool:
    """SSO is off unless a client id is configured."""
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def sso_only() -> bool:
    """Passwords are for admins only — effective only when SSO is on (else no one could log in)."""
    return sso_enabled() and bool(getattr(settings, "HOURGLASS_SSO_ONLY", False))


def provider_name() -> str:
    return str(getattr(settings, "HOURGLASS_SSO_PROVIDER_NAME", "") or _("single sign-on"))


def _discovery_document(url: str) -> dict[str, str]:
    key = f"sso:discovery:{url}"
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(url, timeout=getattr(settings, "OIDC_TIMEOUT", None) or 10)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise SsoUnavailable(f"OIDC discovery at {url} failed: {exc}") from exc
        if not isinstance(document, dict) or not all(isinstance(document.get(k), str) for k in ENDPOINT_KEYS.values()):
            raise SsoUnavailable(f"OIDC discovery at {url} lacks an endpoint")
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def endpoints() -> Endpoints:
    """The provider's endpoints: explicit settings win over the discovery document."""
    explicit = {name: str(getattr(settings, name, "") or "") for name in ENDPOINT_KEYS}
    issuer = str(getattr(settings, "OIDC_OP_ISSUER", "") or "")
    discovery = str(getattr(settings, "OIDC_OP_DISCOVERY", "") or "")
    if discovery and not all(explicit.values()):
        document = _discovery_document(discovery)
        explicit = {name: value or document[ENDPOINT_KEYS[name]] for name, value in explicit.items()}
        issuer = issuer or str(document.get("issuer", ""))
    missing = [name for name, value in explicit.items() if not value]
    if missing:
        raise SsoUnavailable(f"OIDC endpoints not configured: {', '.join(missing)}")
    return Endpoints(
        authorization=explicit["OIDC_OP_AUTHORIZATION_ENDPOINT"],
        token=explicit["OIDC_OP_TOKEN_ENDPOINT"],
        userinfo=explicit["OIDC_OP_USER_ENDPOINT"],
        jwks=explicit["OIDC_OP_JWKS_ENDPOINT"],
        issuer=issuer,
    )
