"""The unmatched inbox API, mounted under /api/v1/ (docs/inbox.md)."""

from __future__ import annotations

from django.urls import path

from .api import UnmatchedEmailAssignView, UnmatchedEmailDetailView, UnmatchedEmailDismissView, UnmatchedEmailListView

urlpatterns = [
    path("inbox/unmatched/", UnmatchedEmailListView.as_view(), name="inbox-unmatched-list"),
    path("inbox/unmatched/<int:pk>/", UnmatchedEmailDetailView.as_view(), name="inbox-unmatched-detail"),
    path("inbox/unmatched/<int:pk>/assign", UnmatchedEmailAssignView.as_view(), name="inbox-unmatched-assign"),
    path("inbox/unmatched/<int:pk>/dismiss", UnmatchedEmailDismissView.as_view(), name="inbox-unmatched-dismiss"),
]
