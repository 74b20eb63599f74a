"""A test-only URLconf: the real one plus a plain (non-DRF) JSON view under /api/."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from accounts.models import Account
from config.urls import handler404
from config.urls import urlpatterns as real_urlpatterns

handler500 = "core.views.server_error"
handler400 = "core.views.bad_request"

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]


def plain_api_count(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"accounts": Account.objects.count()})


urlpatterns = [
    path("api/v1/plain-count/", plain_api_count),
    path("plain-count/", plain_api_count),
    *real_urlpatterns,
]
