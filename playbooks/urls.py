from __future__ import annotations

from django.urls import path

from . import bulk_views, views

app_name = "playbooks"

urlpatterns = [
    path("", views.task_list_view, name="task_list"),
    path("new/", views.task_create_view, name="task_create"),
    path("reassign/", views.task_reassign_view, name="task_reassign"),
    path("bulk/", bulk_views.task_bulk_view, name="task_bulk"),
    path("bulk/undo/", bulk_views.task_bulk_undo_view, name="task_bulk_undo"),
    path("<int:pk>/", views.task_detail_view, name="task_detail"),
    path("<int:pk>/row/", views.task_row_view, name="task_row"),
    path("<int:pk>/complete/", views.task_complete_view, name="task_complete"),
    path("<int:pk>/snooze/", views.task_snooze_view, name="task_snooze"),
    path("<int:pk>/status/", views.task_status_view, name="task_status"),
    path("<int:pk>/checklist/", views.task_checklist_view, name="task_checklist"),
    path("<int:pk>/comments/", views.task_comment_view, name="task_comment"),
    path("account/<int:pk>/", views.account_tasks_view, name="account_tasks"),
    path("account/<int:pk>/stage/", views.account_stage_view, name="account_stage"),
]
