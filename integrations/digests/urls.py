from __future__ import annotations

from django.urls import path

from . import views

app_name = "digests"
urlpatterns = [
    path("", views.preferences_view, name="preferences"),
    path("preview/", views.digest_preview_view, name="preview"),
    path("calendar/", views.calendar_manage_view, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed_view, name="calendar_feed"),
]
