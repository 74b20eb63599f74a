from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .contacts import OverdueContactListView
from .privacy import StakeholderPersonalDataView
from .views import CsvImportView, StakeholderViewSet, TimelineViewSet

router = SimpleRouter()
router.register("stakeholders", StakeholderViewSet, basename="stakeholder")
router.register("timeline", TimelineViewSet, basename="timeline")

urlpatterns = [
    path("imports/", CsvImportView.as_view(), name="csv-import"),
    path("contacts/overdue/", OverdueContactListView.as_view(), name="overdue-contact-list"),
    path(
        "stakeholders/<int:pk>/personal-data/",
        StakeholderPersonalDataView.as_view(),
        name="stakeholder-personal-data",
    ),
    *router.urls,
]
