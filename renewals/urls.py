from __future__ import annotations

from django.urls import path

from . import accuracy_views, expansion_views, ledger_views, views

app_name = "renewals"

urlpatterns = [
    path("", views.renewal_list_view, name="list"),
    path("export.csv", views.renewal_export_view, name="export"),
    path("kpis/", views.renewal_kpis_view, name="kpis"),
    path("forecast-accuracy/", accuracy_views.forecast_accuracy_view, name="forecast_accuracy"),
    path("forecast-accuracy/export.csv", accuracy_views.forecast_accuracy_export_view, name="forecast_accuracy_export"),
    path("<int:pk>/", views.renewal_detail_view, name="detail"),
    path("<int:pk>/at-risk/", views.renewal_at_risk_view, name="at_risk"),
    path("<int:pk>/stage/", views.renewal_stage_view, name="stage"),
    path("<int:pk>/forecast/", views.renewal_override_view, name="override"),
    path("<int:pk>/close/", views.renewal_close_view, name="close"),
    path("<int:pk>/expansions/", views.renewal_expansion_create_view, name="expansion_create"),
    path("expansions/", expansion_views.expansion_list_view, name="expansions"),
    path("expansions/export.csv", expansion_views.expansion_export_view, name="expansions_export"),
    path("expansions/new/", expansion_views.expansion_new_view, name="expansion_new"),
    path("expansions/<int:pk>/", expansion_views.expansion_detail_view, name="expansion_detail"),
    path("expansions/<int:pk>/stage/", expansion_views.expansion_stage_view, name="expansion_stage"),
    path("expansions/<int:pk>/win/", expansion_views.expansion_win_view, name="expansion_win"),
    path("expansions/<int:pk>/lose/", expansion_views.expansion_lose_view, name="expansion_lose"),
    path("arr-movements/", ledger_views.arr_movements_view, name="arr_movements"),
    path("arr-movements/export.csv", ledger_views.arr_movements_export_view, name="arr_movements_export"),
    path("contracts/<int:pk>/amendments/", ledger_views.contract_amendments_view, name="contract_amendments"),
]
