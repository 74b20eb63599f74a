from __future__ import annotations

from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("accounts/<int:account_pk>/", views.account_health_panel_view, name="account_panel"),
    path("accounts/<int:account_pk>/recalculate/", views.account_recalculate_view, name="account_recalculate"),
    path("recalculate/", views.recalculate_all_view, name="recalculate_all"),
    path("recalculations/<int:pk>/", views.recalculation_progress_view, name="recalculation"),
    path("nps/", views.nps_view, name="nps"),
    path("nps/import/", views.nps_import_view, name="nps_import"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert_acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve_view, name="alert_resolve"),
]
