from __future__ import annotations

from django.urls import path

from . import views

# The team page (capacity:team, "") is a workspace screen: config/urls.py puts it here.
app_name = "capacity"

urlpatterns = [
    path("preset/", views.preset_select_view, name="preset"),
    path("planner/", views.planner_view, name="planner"),
    path("rebalance/", views.rebalance_view, name="rebalance"),
    path("rebalance/apply/", views.rebalance_apply_view, name="rebalance_apply"),
    path("time/", views.timesheet_view, name="timesheet"),
    path("time/<int:pk>/delete/", views.time_entry_delete_view, name="time_delete"),
]
