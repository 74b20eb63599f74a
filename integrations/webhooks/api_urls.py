"""The webhooks API, mounted under /api/v1/."""

from __future__ import annotations

from django.urls import path

from .api import EventTypesView

urlpatterns = [
    path("webhooks/event-types", EventTypesView.as_view(), name="webhook-event-types"),
]
