"""The unmatched inbox pages, under /integrations/inbox/ (docs/inbox.md)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "inbox"
urlpatterns = [
    path("", views.unmatched_view, name="unmatched"),
    path("<int:pk>/", views.email_detail_view, name="detail"),
    path("<int:pk>/assign/", views.email_assign_view, name="assign"),
    path("<int:pk>/dismiss/", views.email_dismiss_view, name="dismiss"),
]
