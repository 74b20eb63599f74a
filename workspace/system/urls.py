from __future__ import annotations

from django.urls import path

from . import views

app_name = "system"

urlpatterns = [
    path("", views.status_view, name="status"),
    path("emails/<int:pk>/retry/", views.email_retry_view, name="email_retry"),
    path("task-failures/<int:pk>/retry/", views.task_retry_view, name="task_retry"),
]
