"""Mounted at ``/settings/`` in the ``settings`` namespace (config/urls.py)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "settings"

urlpatterns = [
    path("", views.settings_overview_view, name="overview"),
    path("<slug:section>/", views.settings_section_view, name="section"),
    path("<slug:section>/history/", views.settings_history_view, name="history"),
]
