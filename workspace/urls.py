"""The workspace screens, each under the URL (and URL name) it has always had:
``config/urls.py`` mounts these lists in the ``accounts`` and ``capacity`` namespaces."""

from __future__ import annotations

from django.urls import path

from accounts import contact_touch_views

from . import account_page, book, book_bulk, team_page
from .search import views as search_views
from .segments import views as segment_views

accounts_urlpatterns = [
    path("", book.book_view, name="list"),
    path("export.csv", book.book_export_view, name="export"),
    path("bulk/owner/", book_bulk.book_owner_view, name="bulk_owner"),
    path("bulk/task/", book_bulk.book_task_view, name="bulk_task"),
    path("bulk/undo/", book_bulk.book_undo_view, name="bulk_undo"),
    path("bulk/segment/", segment_views.book_segment_add_view, name="bulk_segment"),
    path("bulk/segment/remove/", segment_views.book_segment_remove_view, name="bulk_segment_remove"),
    path("segments/", segment_views.segment_create_view, name="segment_create"),
    path("segments/<int:pk>/", segment_views.segment_change_view, name="segment_change"),
    # The overdue-contacts list's bulk bar (the list itself is accounts'):
    path("contacts/touch/", contact_touch_views.contacts_touch_bulk_view, name="contact_touch_bulk"),
    path("contacts/touch/undo/", contact_touch_views.contacts_touch_undo_view, name="contact_touch_bulk_undo"),
    path("<int:pk>/", account_page.account_detail_view, name="detail"),
    path("<int:pk>/timeline/", account_page.account_timeline_view, name="timeline"),
    path("<int:pk>/tab/<slug:tab>/", account_page.account_tab_view, name="tab"),
]

capacity_urlpatterns = [
    path("", team_page.team_view, name="team"),
]

# Mounted at /search/ in the ``search`` namespace.
search_urlpatterns = [
    path("", search_views.search_view, name="results"),
    path("quick/", search_views.search_quick_view, name="quick"),
]
