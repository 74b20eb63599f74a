from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import BooksView, FiguresView, PlannerView, TimeEntryViewSet

router = SimpleRouter()
router.register("time-entries", TimeEntryViewSet, basename="time-entry")

urlpatterns = [
    path("capacity/books/", BooksView.as_view(), name="capacity-books"),
    path("capacity/figures/", FiguresView.as_view(), name="capacity-figures"),
    path("capacity/planner/", PlannerView.as_view(), name="capacity-planner"),
    *router.urls,
]
