from __future__ import annotations

from django.urls import path

from . import bounce_views, program_views, public_views, views

app_name = "outreach"

urlpatterns = [
    path("", views.survey_list_view, name="survey_list"),
    path("new/", views.survey_create_view, name="survey_create"),
    path("results/", views.results_view, name="results"),
    path("results.csv", views.results_export_view, name="results_export"),
    path("<int:pk>/", views.survey_detail_view, name="survey_detail"),
    path("<int:pk>/edit/", views.survey_edit_view, name="survey_edit"),
    path("<int:pk>/send/", views.survey_send_view, name="survey_send"),
    path("bounces/", bounce_views.bounce_list_view, name="bounce_list"),
    path("bounces/clear/", bounce_views.bounce_clear_view, name="bounce_clear"),
    path("programs/", program_views.program_list_view, name="program_list"),
    path("programs/new/", program_views.program_create_view, name="program_create"),
    path("programs/<int:pk>/", program_views.program_detail_view, name="program_detail"),
    path("programs/<int:pk>/edit/", program_views.program_edit_view, name="program_edit"),
    path("programs/<int:pk>/status/", program_views.program_status_view, name="program_status"),
    path(
        "programs/<int:pk>/contacts/<int:enrollment_pk>/",
        program_views.enrollment_detail_view,
        name="program_enrollment",
    ),
    path(
        "programs/<int:pk>/steps/<int:step_pk>/preview/",
        program_views.step_preview_view,
        name="program_step_preview",
    ),
    path(
        "programs/<int:pk>/steps/<int:step_pk>/test/",
        program_views.step_test_send_view,
        name="program_step_test_send",
    ),
    # Public, no login: the signed token is the key (outreach.public_views).
    path("r/<str:token>/", public_views.respond_view, name="respond"),
    path("u/<str:token>/", public_views.unsubscribe_view, name="unsubscribe"),
    path("c/<str:token>/", program_views.click_view, name="program_click"),
    path("pu/<str:token>/", program_views.program_unsubscribe_view, name="program_unsubscribe"),
]
