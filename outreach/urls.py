from __future__ import annotations

from django.urls import path

from . import public_views, views

app_name = "outreach"

urlpatterns = [
    path("", views.survey_list_view, name="survey_list"),
    path("new/", views.survey_create_view, name="survey_create"),
    path("results/", views.results_view, name="results"),
    path("results.csv", views.results_export_view, name="results_export"),
    path("<int:pk>/", views.survey_detail_view, name="survey_detail"),
    path("<int:pk>/edit/", views.survey_edit_view, name="survey_edit"),
    path("<int:pk>/send/", views.survey_send_view, name="survey_send"),
    # Public, no login: the signed token is the key (outreach.public_views).
    path("r/<str:token>/", public_views.respond_view, name="respond"),
    path("u/<str:token>/", public_views.unsubscribe_view, name="unsubscribe"),
]
