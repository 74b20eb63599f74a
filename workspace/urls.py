"""The workspace screens, each under the URL (and URL name) it has always had:
``config/urls.py`` mounts these lists in the ``accounts`` and ``capacity`` namespaces."""

from __future__ import annotations

from django.urls import path

from . import account_page, book, team_page
from .search import views as search_views

accounts_urlpatterns = [
    path("", book.book_view, name="list"),
    path("export.csv", book.book_export_view, name="export"),
    path("<int:pk>/", account_page.account_detail_view, name="detail"),
    path("<int:pk>/timeline/", account_page.account_timeline_view, name="timeline"),
]

capacity_urlpatterns = [
    path("", team_page.team_view, name="team"),
]

# Mounted at /search/ in the ``search`` namespace.
search_urlpatterns = [
    path("", search_views.search_view, name="results"),
    path("quick/", search_views.search_quick_view, name="quick"),
]
