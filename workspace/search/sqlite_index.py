"""SQLite's search index: FTS5 tables kept by triggers on the searched tables.

Triggers on the source tables keep each index in step with every write — ORM saves,
``bulk_create``, ``QuerySet.update`` and raw SQL alike — so no code path can forget it.
Django rebuilds a SQLite table for many schema changes (create new, copy, drop old),
which drops the old table's triggers with it; ``ensure_sqlite_index`` therefore runs
after every ``migrate`` and recreates missing triggers, refilling the index they cover.
Each table has two indexes: trigrams (terms of 3 characters or more, found anywhere)
and words (2-character terms, found at the start of a word). Where the SQLite build
has no FTS5 (or no trigram tokenizer), nothing is created and
search falls back to ``LIKE`` on the source tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class IndexedTable:
    kind: str
    table: str
    columns: tuple[str, ...]  # the source columns the index text is made of

    @property
    def fts(self) -> str:
        """The trigram index: substrings of 3 characters or more."""
        return f"workspace_search_{self.kind}"

    @property
    def words(self) -> str:
        """The word index (unicode61, 2-character prefixes): terms of 2 characters."""
        return f"workspace_searchw_{self.kind}"

    @property
    def indexes(self) -> dict[str, str]:
        return {self.fts: "tokenize='trigram'", self.words: "tokenize='unicode61', prefix='2'"}

    def text(self, row: str) -> str:
        """SQL for the index text of ``row`` (``new``/``old`` in a trigger, the table in a fill)."""
        return " || ' ' || ".join(f"coalesce({row}.{column}, '')" for column in self.columns)


INDEXED = (
    IndexedTable("account", "accounts_account", ("name", "external_id")),
    IndexedTable("stakeholder", "accounts_stakeholder", ("name", "email")),
    IndexedTable("dossier", "accounts_dossiersection", ("content",)),
    IndexedTable("timeline", "accounts_timelineentry", ("title",)),
    IndexedTable("task", "playbooks_task", ("title",)),
    IndexedTable("case", "knowledge_case", ("title",)),
)
BY_KIND = {table.kind: table for table in INDEXED}

_ready: dict[str, bool] = {}


def _triggers(table: IndexedTable) -> dict[str, str]:
    # Every name in this SQL comes from INDEXED above, none from input.
    watched = ", ".join(table.columns)
    new_text, indexes = table.text("new"), list(table.indexes)
    inserts = " ".join(f"INSERT INTO {index}(rowid, body) VALUES (new.id, {new_text});" for index in indexes)  # noqa: S608
    updates = " ".join(f"UPDATE {index} SET body = {new_text} WHERE rowid = new.id;" for index in indexes)  # noqa: S608
    deletes = " ".join(f"DELETE FROM {index} WHERE rowid = old.id;" for index in indexes)  # noqa: S608
    create, on = f"CREATE TRIGGER IF NOT EXISTS {table.fts}", f"ON {table.table}"
    return {
        f"{table.fts}_ai": f"{create}_ai AFTER INSERT {on} BEGIN {inserts} END",
        f"{table.fts}_au": f"{create}_au AFTER UPDATE OF {watched} {on} BEGIN {updates} END",
        f"{table.fts}_ad": f"{create}_ad AFTER DELETE {on} BEGIN {deletes} END",
    }


def _fill(cursor: Any, table: IndexedTable) -> None:
    for index in table.indexes:
        cursor.execute(f"DELETE FROM {index}")  # noqa: S608 - names from INDEXED
        cursor.execute(f"INSERT INTO {index}(rowid, body) SELECT id, {table.text(table.table)} FROM {table.table}")  # noqa: S608


def _fts5_trigram_available(cursor: Any) -> bool:
    try:
        cursor.execute("CREATE VIRTUAL TABLE temp.workspace_search_probe USING fts5(body, tokenize='trigram')")
        cursor.execute("DROP TABLE temp.workspace_search_probe")
    except Exception:  # noqa: BLE001 - any failure means: no FTS5 trigram here
        return False
    return True


def ensure_sqlite_index(*, using: str = "default") -> list[str]:
    """Create what is missing (tables, triggers) and refill the indexes that were stale.

    Returns the kinds refilled. Idempotent: when everything is in place it only reads
    ``sqlite_master``.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    refilled: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for name, _type in cursor.fetchall()}
        if not all(table.table in present for table in INDEXED):
            return []  # migrating backwards, or the apps' tables are not there yet
        if not _fts5_trigram_available(cursor):
            _ready[_key(connection)] = False
            return []
        for table in INDEXED:
            triggers = _triggers(table)
            stale = any(name not in present for name in [*table.indexes, *triggers])
            if not stale:
                continue
            # Triggers first, in one transaction with the refill, so no write slips between.
            with transaction.atomic(using=using):
                for sql in triggers:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {sql}")  # an older definition
                for index, options in table.indexes.items():
                    cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {index} USING fts5(body, {options})")
                for sql in triggers.values():
                    cursor.execute(sql)
                _fill(cursor, table)
            refilled.append(table.kind)
    _ready[_key(connection)] = True
    return refilled


def _key(connection: BaseDatabaseWrapper) -> str:
    return f"{connection.alias}:{connection.settings_dict['NAME']}"


def fts_ready(connection: BaseDatabaseWrapper) -> bool:
    """Whether this database has the FTS5 indexes (checked once per database)."""
    key = _key(connection)
    if key not in _ready:
        with connection.cursor() as cursor:
            names = [index for table in INDEXED for index in table.indexes]
            listed = ", ".join(f"'{name}'" for name in names)
            cursor.execute(f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({listed})")  # noqa: S608
            _ready[key] = cursor.fetchone()[0] == len(names)
    return _ready[key]


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_query(terms: list[str]) -> str:
    """A trigram-index query: rows that contain every term (each a quoted phrase)."""
    return " ".join(_quoted(term) for term in terms)


def words_query(terms: list[str]) -> str:
    """A word-index query: rows with a word starting with each term.

    A superset of "the column or one of its words starts with the term" (the word
    index also splits at punctuation), which the lookups then check exactly.
    """
    return " ".join(_quoted(term) + "*" for term in terms)


def rebuild_sqlite_index(*, using: str = "default") -> None:
    """Refill every index from its table (``manage.py search_reindex``)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not fts_ready(connection):
        return
    with connection.cursor() as cursor:
        for table in INDEXED:
            _fill(cursor, table)


def optimize_sqlite_index(*, using: str = "default") -> None:
    """Merge every index's segments: FTS5 keeps a deleted row's tokens on disk until then
    (an erased contact's name must not stay in the index)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not fts_ready(connection):
        return
    with connection.cursor() as cursor:
        for table in INDEXED:
            for name in table.indexes:
                cursor.execute(f"INSERT INTO {name}({name}) VALUES('optimize')")
