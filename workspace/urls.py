"""The workspace screens, each under the URL (and URL name) it has always had:
``config/urls.py`` mounts these lists in the ``accounts`` and ``capacity`` namespaces."""

from __future__ import annotations

from django.urls import path

from . import account_page, book, team_page

accounts_urlpatterns = [
    path("", book.book_view, name="list"),
    path("export.csv", book.book_export_view, name="export"),
    path("<int:pk>/", account_page.account_detail_view, name="detail"),
    path("<int:pk>/timeline/", account_page.account_timeline_view, name="timeline"),
]

capacity_urlpatterns = [
    path("", team_page.team_view, name="team"),
]
