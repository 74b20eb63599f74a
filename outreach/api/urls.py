from __future__ import annotations

from django.urls import path

from .views import bounces_api

urlpatterns = [
    path("outreach/bounces/", bounces_api, name="outreach-bounces"),
]
