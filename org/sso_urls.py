"""``/oidc/…``: single sign-on's start and return (answer on the login page when SSO is off)."""

from __future__ import annotations

from django.urls import path

from .sso_views import SsoAuthenticateView, SsoCallbackView

app_name = "sso"

urlpatterns = [
    path("authenticate/", SsoAuthenticateView.as_view(), name="authenticate"),
    path("callback/", SsoCallbackView.as_view(), name="callback"),
]
