"""Who may read the API schema and its Swagger UI: anyone signed in (a session or an API
token), or everyone when ``HOURGLASS_PUBLIC_API_DOCS`` says so (the default outside
production mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class ApiDocsPermission(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(settings.HOURGLASS_PUBLIC_API_DOCS or (request.user and request.user.is_authenticated))


def docs_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The Swagger UI page: a person who is not signed in is sent to the login page."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.HOURGLASS_PUBLIC_API_DOCS and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped
