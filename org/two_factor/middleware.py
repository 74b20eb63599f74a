"""Keeps a signed-in person whose second factor is owed out of every page until it is given."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from .gate import gate_response


class TwoFactorMiddleware:
    """After AuthenticationMiddleware and django-otp's OTPMiddleware (settings.MIDDLEWARE)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        blocked = gate_response(request)
        if blocked is not None:
            return blocked
        response: HttpResponse = self.get_response(request)
        return response
