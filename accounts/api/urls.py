from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import AccountViewSet, StakeholderViewSet, TimelineViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("stakeholders", StakeholderViewSet, basename="stakeholder")
router.register("timeline", TimelineViewSet, basename="timeline")

urlpatterns = router.urls
