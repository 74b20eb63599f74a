"""Global search's indexes on PostgreSQL: the pg_trgm extension and a GIN trigram index
per searched column, on ``UPPER(col::text)`` — the expression Django's ``icontains`` and
``istartswith`` lookups compare — so a search is an index scan, not a sequential one.

Nothing happens on SQLite here: its FTS5 index is kept by triggers that
``workspace.search.sqlite_index.ensure_sqlite_index`` (re)creates after every migrate.
The indexes are built CONCURRENTLY (so a large deployment keeps writing meanwhile),
which cannot run inside a transaction: this migration is not atomic.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCHED = [
    ("accounts_account", "name"),
    ("accounts_account", "external_id"),
    ("accounts_stakeholder", "name"),
    ("accounts_stakeholder", "email"),
    ("accounts_dossiersection", "content"),
    ("accounts_timelineentry", "title"),
    ("playbooks_task", "title"),
    ("knowledge_case", "title"),
]


class PostgresTrigramExtension(TrigramExtension):
    """TrigramExtension that does nothing on other databases in both directions (Django's
    own skips them going forward only, and going back asks SQLite for pg_extension)."""

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _name(table: str, column: str) -> str:
    return f"ws_search_{table}_{column}_trgm"[:63]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED:
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{_name(table, column)}" '
            f'ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{_name(table, column)}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0010_timeline_messages"),
        ("playbooks", "0005_renewal_lapsed_playbook"),
        ("knowledge", "0002_history"),
    ]

    operations = [
        PostgresTrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
