"""``manage.py search_reindex``: refill SQLite's search indexes from their tables.

Never needed in normal operation (triggers keep them current, and every ``migrate``
repairs missing triggers); for a database restored or edited by a tool that bypassed
the triggers. On PostgreSQL the indexes are ordinary indexes: nothing to do.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from workspace.search.sqlite_index import ensure_sqlite_index, rebuild_sqlite_index


class Command(BaseCommand):
    help = "Refill SQLite's global-search indexes from their tables (PostgreSQL: nothing to do)."

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "sqlite":
            self.stdout.write("PostgreSQL keeps its search indexes itself: nothing to do.")
            return
        ensure_sqlite_index()
        rebuild_sqlite_index()
        self.stdout.write("Search indexes refilled.")
