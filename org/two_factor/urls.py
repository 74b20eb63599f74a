from __future__ import annotations

from django.urls import path

from . import views

app_name = "two_factor"

urlpatterns = [
    path("", views.manage_view, name="manage"),
    path("verify/", views.verify_view, name="verify"),
    path("reset/<int:user_id>/", views.reset_view, name="reset"),
]
