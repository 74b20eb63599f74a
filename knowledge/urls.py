from __future__ import annotations

from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.case_list_view, name="case_list"),
    path("cases/new/", views.case_create_view, name="case_create"),
    path("cases/reviews/", views.review_queue_view, name="review_queue"),
    path("cases/<int:pk>/", views.case_detail_view, name="case_detail"),
    path("cases/<int:pk>/edit/", views.case_edit_view, name="case_edit"),
    path("cases/<int:pk>/submit/", views.case_submit_view, name="case_submit"),
    path("cases/<int:pk>/review/", views.case_review_view, name="case_review"),
    path("accounts/<int:pk>/cases/", views.account_cases_view, name="account_cases"),
    path("accounts/<int:pk>/size/", views.account_size_view, name="account_size"),
    path("accounts/<int:pk>/cases/<int:case_pk>/share/", views.case_share_view, name="case_share"),
    path("accounts/<int:pk>/feedback/", views.feedback_raise_view, name="feedback_raise"),
    path("feedback/", views.feedback_board_view, name="feedback_board"),
    path("feedback/similar/", views.feedback_similar_view, name="feedback_similar"),
    path("feedback/<int:pk>/", views.feedback_detail_view, name="feedback_detail"),
    path("feedback/<int:pk>/status/", views.feedback_status_view, name="feedback_status"),
    path("feedback/<int:pk>/merge/", views.feedback_merge_view, name="feedback_merge"),
    path("campaigns/", views.campaign_list_view, name="campaign_list"),
    path("campaigns/new/", views.campaign_create_view, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail_view, name="campaign_detail"),
    path("campaigns/<int:pk>/launch/", views.campaign_launch_view, name="campaign_launch"),
    path("campaigns/<int:pk>/close/", views.campaign_close_view, name="campaign_close"),
]
