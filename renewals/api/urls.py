from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import ContractViewSet, RenewalViewSet

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")
router.register("renewals", RenewalViewSet, basename="renewal")

urlpatterns = router.urls
