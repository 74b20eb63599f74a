"""What a signed-in request owes before it may go on: nothing, its second factor, or an
enrolment (its role requires one and it has none).

Cost per request: nothing for anonymous requests and API tokens (DRF authenticates those
later, so the user here is anonymous), nothing more than django-otp's device lookup for a
verified session or an SSO session, one indexed query otherwise (``has_two_factor``).
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .services import has_two_factor, two_factor_required

# Compared by name, not imported: single sign-on is its own module and may be absent.
SSO_BACKEND = "org.sso.OidcBackend"

# Pages a half-signed-in person must still reach (or that have nothing to protect).
# Names that do not resolve (an SSO library not installed) are skipped.
OPEN_URL_NAMES = (
    "login",
    "logout",
    "set_language",
    "healthz",
    "sso:authenticate",
    "sso:callback",
)


class Owed(Enum):
    NOTHING = "nothing"
    VERIFY = "verify"
    ENROL = "enrol"


@cache
def _open_paths() -> frozenset[str]:
    paths = set()
    for name in OPEN_URL_NAMES:
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return frozenset(paths)


def _static_prefix() -> str:
    static_url = str(settings.STATIC_URL or "/static/")
    return static_url if static_url.startswith("/") else "/" + static_url


def sso_trusted(request: HttpRequest) -> bool:
    """A single sign-on session counts as verified when HOURGLASS_2FA_TRUST_SSO is on."""
    return bool(settings.HOURGLASS_2FA_TRUST_SSO) and request.session.get(BACKEND_SESSION_KEY) == SSO_BACKEND


def owed(request: HttpRequest) -> Owed:
    user = request.user
    if not user.is_authenticated:
        return Owed.NOTHING
    if getattr(user, "otp_device", None) is not None or sso_trusted(request):
        return Owed.NOTHING
    if has_two_factor(user):
        return Owed.VERIFY
    if two_factor_required(user):
        return Owed.ENROL
    return Owed.NOTHING


def gate_response(request: HttpRequest) -> HttpResponse | None:
    """``None`` to let the request through, else where the person must go first."""
    path = request.path
    if path in _open_paths() or path.startswith(_static_prefix()):
        return None
    needed = owed(request)
    if needed is Owed.NOTHING:
        return None
    target = reverse("two_factor:verify" if needed is Owed.VERIFY else "two_factor:manage")
    if path == target:
        return None
    if path.startswith("/api/"):
        # A session without its second factor reads no API (tokens never reach this).
        return JsonResponse({"detail": _("Two-factor authentication is required for this session.")}, status=403)
    url = target
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the verify page into a fragment: make it load the whole page.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
