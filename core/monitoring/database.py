"""The database's size and its largest tables, on PostgreSQL and SQLite."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseSize:
    vendor: str
    total_bytes: int | None
    tables: list[tuple[str, int]] = field(default_factory=list)  # (table, bytes), largest first
    note: str = ""


def database_size(*, limit: int = 10) -> DatabaseSize:
    """PostgreSQL: ``pg_database_size`` and ``pg_total_relation_size`` (indexes and TOAST
    included; each event partition is its own table). SQLite: the file's pages, and per
    table the ``dbstat`` view when the build has it; without it, no table list."""
    try:
        if connection.vendor == "postgresql":
            return _postgresql(limit)
        if connection.vendor == "sqlite":
            return _sqlite(limit)
    except DatabaseError:
        logger.warning("could not read the database size", exc_info=True)
        return DatabaseSize(vendor=connection.vendor, total_bytes=None, note="unavailable")
    return DatabaseSize(vendor=connection.vendor, total_bytes=None, note="unsupported")


def _postgresql(limit: int) -> DatabaseSize:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = current_schema() "
            "ORDER BY 2 DESC, 1 LIMIT %s",
            [limit],
        )
        tables = [(str(name), int(size)) for name, size in cursor.fetchall()]
    return DatabaseSize(vendor="postgresql", total_bytes=total, tables=tables)


def _sqlite(limit: int) -> DatabaseSize:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        total = pages * int(cursor.fetchone()[0])
        try:
            # Indexes are counted with their table (dbstat names the index otherwise).
            cursor.execute(
                "SELECT COALESCE(m.tbl_name, d.name) AS tbl, SUM(d.pgsize) FROM dbstat d "
                "LEFT JOIN sqlite_master m ON m.name = d.name "
                "GROUP BY tbl ORDER BY 2 DESC, 1 LIMIT %s",
                [limit],
            )
        except DatabaseError:
            return DatabaseSize(vendor="sqlite", total_bytes=total, note="no dbstat")
        tables = [(str(name), int(size)) for name, size in cursor.fetchall()]
    return DatabaseSize(vendor="sqlite", total_bytes=total, tables=tables)
