"""Global search's second set of PostgreSQL indexes (see ``workspace/search/engine.py``).

- A btree on ``UPPER(col::text) text_pattern_ops`` for each ranking column but the
  dossier's (too long a text for a btree): the prefix matches (``istartswith``, which
  Django compiles to ``UPPER(col::text) LIKE UPPER('term%')``) become a range scan that
  stops after a few rows, instead of a trigram bitmap that may hold half the table.
- A covering btree ``(account_id) INCLUDE (id, <matched columns>)`` on the timeline and
  the stakeholders: a CSM's or a team's search walks their accounts' rows index-only.

Built CONCURRENTLY (a large deployment keeps writing meanwhile), so not atomic; nothing
on SQLite, whose FTS5 index is kept by triggers (``workspace.search.sqlite_index``).
"""

from __future__ import annotations

from django.db import migrations

# (index name, table, what it indexes)
INDEXES = [
    ("ws_search_account_name_prefix", "accounts_account", '(UPPER("name"::text) text_pattern_ops)'),
    ("ws_search_stakeholder_name_prefix", "accounts_stakeholder", '(UPPER("name"::text) text_pattern_ops)'),
    ("ws_search_timeline_title_prefix", "accounts_timelineentry", '(UPPER("title"::text) text_pattern_ops)'),
    ("ws_search_task_title_prefix", "playbooks_task", '(UPPER("title"::text) text_pattern_ops)'),
    ("ws_search_case_title_prefix", "knowledge_case", '(UPPER("title"::text) text_pattern_ops)'),
    ("ws_search_timeline_by_account", "accounts_timelineentry", '("account_id") INCLUDE ("id", "title")'),
    ("ws_search_stakeholder_by_account", "accounts_stakeholder", '("account_id") INCLUDE ("id", "name", "email")'),
]


def create_sql(name: str, table: str, what: str, *, concurrently: bool = True) -> str:
    how = "CONCURRENTLY " if concurrently else ""
    return f'CREATE INDEX {how}IF NOT EXISTS "{name}" ON "{table}" {what}'


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, what in INDEXES:
        schema_editor.execute(create_sql(name, table, what))


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _what in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("workspace", "0001_search_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
