from __future__ import annotations

from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("accounts/<int:account_pk>/", views.account_health_panel_view, name="account_panel"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert_acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve_view, name="alert_resolve"),
]
