from __future__ import annotations

from django.urls import path

from . import views

app_name = "rules"

urlpatterns = [
    path("", views.rule_list_view, name="list"),
    path("new/", views.rule_create_view, name="create"),
    path("<int:pk>/", views.rule_detail_view, name="detail"),
    path("<int:pk>/edit/", views.rule_edit_view, name="edit"),
    path("<int:pk>/copy/", views.rule_copy_view, name="copy"),
    path("<int:pk>/active/", views.rule_active_view, name="active"),
    path("<int:pk>/preview/", views.rule_preview_view, name="preview"),
    path("<int:pk>/dry-run/", views.rule_dry_run_view, name="dry_run"),
]
