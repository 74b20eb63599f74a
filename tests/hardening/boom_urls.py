"""A test-only URLconf: the real one plus two views that raise (a bug in production)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.urls import handler404
from config.urls import urlpatterns as real_urlpatterns

handler500 = "core.views.server_error"
handler400 = "core.views.bad_request"

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]


@api_view(["GET"])
@permission_classes([AllowAny])
def api_boom(request: Request) -> Response:
    raise ZeroDivisionError("a bug in an API view")


def page_boom(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("a bug in a page")


urlpatterns = [
    path("api/v1/boom/", api_boom),
    path("boom/", page_boom),
    *real_urlpatterns,
]
