from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .accuracy import ForecastAccuracyView
from .expansions import ExpansionViewSet
from .ledger import ArrRetentionView, ContractAmendmentsView
from .views import ContractViewSet, RenewalViewSet

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")
router.register("renewals", RenewalViewSet, basename="renewal")
router.register("expansions", ExpansionViewSet, basename="expansion")

urlpatterns = [
    # Before the router: its renewal detail route would take "forecast-accuracy" for an id.
    path("renewals/forecast-accuracy/", ForecastAccuracyView.as_view(), name="renewal-forecast-accuracy"),
    *router.urls,
    path("contracts/<int:pk>/amendments/", ContractAmendmentsView.as_view(), name="contract-amendments"),
    path("arr-retention/", ArrRetentionView.as_view(), name="arr-retention"),
]
