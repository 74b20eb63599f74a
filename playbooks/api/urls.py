from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import PlaybookViewSet, TaskViewSet

router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("playbooks", PlaybookViewSet, basename="playbook")

urlpatterns = router.urls
