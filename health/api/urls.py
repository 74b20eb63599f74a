from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ActivityAlertViewSet, EventBulkIngestView, HealthScoreViewSet, NpsResponseViewSet

router = SimpleRouter()
router.register("health/alerts", ActivityAlertViewSet, basename="health-alert")
router.register("health/scores", HealthScoreViewSet, basename="health-score")
router.register("nps", NpsResponseViewSet, basename="nps")

# No trailing slash: the documented endpoint is POST /api/v1/events/bulk.
urlpatterns = [
    path("events/bulk", EventBulkIngestView.as_view(), name="events-bulk"),
    *router.urls,
]
