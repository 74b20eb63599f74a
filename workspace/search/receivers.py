"""After every ``migrate`` (and test-database flush): make sure SQLite's search index
and its triggers exist — a table rebuilt by a schema change loses its triggers."""

from __future__ import annotations

from typing import Any

from .sqlite_index import ensure_sqlite_index, optimize_sqlite_index


def search_index_after_migrate(sender: Any, *, using: str = "default", app_config: Any = None, **kwargs: Any) -> None:
    # post_migrate is sent once per app; one of them suffices (all tables exist by then).
    if app_config is not None and app_config.label != "accounts":
        return
    ensure_sqlite_index(using=using)


def search_index_after_erasure(sender: Any, **kwargs: Any) -> None:
    optimize_sqlite_index()
