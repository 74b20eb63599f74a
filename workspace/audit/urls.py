"""Mounted at ``/audit/`` in the ``audit`` namespace (config/urls.py)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log_view, name="log"),
    path("export.csv", views.audit_export_view, name="export"),
    path("logins/", views.login_audit_view, name="logins"),
]
