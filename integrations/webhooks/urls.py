from __future__ import annotations

from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list_view, name="list"),
    path("new/", views.endpoint_create_view, name="create"),
    path("team-chat/new/", views.team_chat_create_view, name="team_chat_create"),
    path("<int:pk>/", views.endpoint_detail_view, name="detail"),
    path("<int:pk>/secret/", views.endpoint_rotate_view, name="rotate_secret"),
    path("<int:pk>/delete/", views.endpoint_delete_view, name="delete"),
    path("<int:pk>/deliveries/<int:delivery_pk>/redeliver/", views.endpoint_redeliver_view, name="redeliver"),
    path("chat/", views.chat_view, name="chat"),
    path("chat/<int:pk>/", views.chat_detail_view, name="chat_detail"),
    path("chat/<int:pk>/delete/", views.chat_delete_view, name="chat_delete"),
    path("chat/<int:pk>/deliveries/<int:delivery_pk>/redeliver/", views.chat_redeliver_view, name="chat_redeliver"),
]
