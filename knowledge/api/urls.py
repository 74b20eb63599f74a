from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CampaignViewSet, CaseViewSet, FeedbackViewSet, account_cases_api

router = SimpleRouter()
router.register("knowledge/cases", CaseViewSet, basename="knowledge-case")
router.register("knowledge/feedback", FeedbackViewSet, basename="knowledge-feedback")
router.register("knowledge/campaigns", CampaignViewSet, basename="knowledge-campaign")

urlpatterns = [
    path("knowledge/accounts/<int:pk>/cases/", account_cases_api, name="knowledge-account-cases"),
    *router.urls,
]
