from __future__ import annotations

from django.urls import path

from .views import EventBulkIngestView

# No trailing slash: the documented endpoint is POST /api/v1/events/bulk.
urlpatterns = [
    path("events/bulk", EventBulkIngestView.as_view(), name="events-bulk"),
]
