from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


class ProfileLanguageCookieMiddleware:
    """Sets the language cookie once after login, from the profile (see receiver)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and "_hourglass_language" in session:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                session.pop("_hourglass_language"),
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response


class SessionActivityMiddleware:
    """Keeps the sessions page's "last seen" current: one UPDATE a minute per session at most."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        from .sessions import session_seen

        session_seen(request)
        return self.get_response(request)
