"""Backups: a consistent dump of the database and a manifest that describes it.

PostgreSQL is dumped with ``pg_dump --format=custom`` from a snapshot exported by a
REPEATABLE READ transaction, and the manifest's row counts and checksums are read in
that same transaction, so they describe exactly what the dump holds even while the
application writes. SQLite is copied with the online backup API
(``sqlite3.Connection.backup``) and the manifest is read from the copy.

The manifest (JSON, beside the dump) holds the app version, the applied migrations per
app, the engine, the creation time, row counts of every table, checksums of the key
tables and the dump's sha256; ``core.restore`` checks all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

MANIFEST_FORMAT = 1
# Checked field by field (a checksum of every row) after a restore; the other tables by
# their row counts. Model labels, so a renamed table follows its model.
KEY_MODELS = (
    "auth.User",
    "org.Team",
    "org.CsProfile",
    "accounts.Account",
    "accounts.Stakeholder",
    "accounts.DossierSection",
    "accounts.TimelineEntry",
    "health.HealthModel",
    "health.HealthScore",
    "health.DailyRollup",
    "renewals.Contract",
    "renewals.RenewalOpportunity",
    "playbooks.Playbook",
    "playbooks.Task",
    "capacity.TimeEntry",
    "knowledge.Case",
)
BACKUP_NAME = re.compile(r"^hourglass-(?P<stamp>\d{8}-\d{6}-\d{6})\.(?P<ext>pgdump|sqlite3)$")
EXTENSIONS = {"postgresql": "pgdump", "sqlite": "sqlite3"}


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    dump: Path
    manifest: Path
    pruned: list[Path]
    info: dict[str, Any]


# --- What a database holds -------------------------------------------------------------


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_pk(cursor: Any, table: str) -> list[str]:
    cursor.execute(f"PRAGMA table_info({quote(table)})")
    columns = sorted((row[5], row[1]) for row in cursor.fetchall() if row[5])
    return [name for _position, name in columns]


def _postgresql_pk(cursor: Any, table: str) -> list[str]:
    cursor.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
        [quote(table)],
    )
    return [row[0] for row in cursor.fetchall()]


def list_tables(cursor: Any, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def table_checksum(cursor: Any, vendor: str, table: str) -> str:
    """sha256 over every row, in primary-key order (all columns when there is none)."""
    pk = _sqlite_pk(cursor, table) if vendor == "sqlite" else _postgresql_pk(cursor, table)
    cursor.execute(f"SELECT * FROM {quote(table)} LIMIT 0")  # noqa: S608 - quoted names
    columns = [column[0] for column in cursor.description]
    order = ", ".join(quote(column) for column in (pk or columns))
    cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")  # noqa: S608 - quoted names
    digest = hashlib.sha256(json.dumps(columns).encode())
    while rows := cursor.fetchmany(2000):
        for row in rows:
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def key_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in KEY_MODELS]


def describe(cursor: Any, vendor: str, checksum_tables: Iterable[str] | None = None) -> dict[str, Any]:
    """Applied migrations per app, row counts of every table, checksums of the key ones
    (``checksum_tables``, by default those of ``KEY_MODELS``)."""
    tables = list_tables(cursor, vendor)
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app_label, name in cursor.fetchall():
            migrations.setdefault(app_label, []).append(name)
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - a quoted table name
        counts[table] = cursor.fetchone()[0]
    wanted = key_tables() if checksum_tables is None else checksum_tables
    checksums = {table: table_checksum(cursor, vendor, table) for table in wanted if table in counts}
    return {"migrations": migrations, "tables": counts, "checksums": checksums}


# --- Version, files --------------------------------------------------------------------


def app_version() -> str:
    """``git describe`` of the checkout when there is one, else pyproject's version."""
    base = Path(settings.BASE_DIR)
    if (base / ".git").exists() and shutil.which("git"):
        described = subprocess.run(  # noqa: S603
            ["git", "-C", str(base), "describe", "--tags", "--always", "--dirty"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if described.returncode == 0 and described.stdout.strip():
            return described.stdout.strip()
    with (base / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(dump: Path) -> Path:
    return dump.with_suffix(".json")


def backups_in(directory: Path) -> list[Path]:
    """The complete backups (dump and manifest) in a directory, oldest first."""
    if not directory.is_dir():
        return []
    found = [path for path in directory.iterdir() if BACKUP_NAME.match(path.name) and manifest_path(path).exists()]
    return sorted(found, key=lambda path: path.name)


def backups_prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (dump and manifest)."""
    complete = backups_in(directory)
    doomed = complete[: max(len(complete) - keep, 0)]
    for dump in doomed:
        manifest_path(dump).unlink(missing_ok=True)
        dump.unlink(missing_ok=True)
    return doomed


# --- Dumps -----------------------------------------------------------------------------


def pg_command_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore / psql."""
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client matching the server "
            "(Debian: apt-get install postgresql-client-15, or the server's major version)."
        )
    return path


def _dump_postgresql(alias: str, target: Path) -> dict[str, Any]:
    connection = connections[alias]
    args, env = pg_command_env(connection.settings_dict)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        dumped = subprocess.run(  # noqa: S603
            [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}",
             "--file", str(target), *args],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        if dumped.returncode != 0:
            raise BackupError(f"pg_dump failed: {dumped.stderr.strip()}")
        return describe(cursor, "postgresql")


def _dump_sqlite(alias: str, target: Path) -> dict[str, Any]:
    connection = connections[alias]
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)  # the DB-API sqlite3 connection
        # The copy inherits WAL mode; a dump is one self-contained file.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        return describe(copy.cursor(), "sqlite")
    finally:
        copy.close()


DUMPERS: dict[str, Callable[[str, Path], dict[str, Any]]] = {
    "postgresql": _dump_postgresql,
    "sqlite": _dump_sqlite,
}


def backup_create(*, directory: Path, keep: int, alias: str = "default", now: datetime | None = None) -> BackupResult:
    """Dump the database into ``directory`` with its manifest, then keep the newest ``keep``."""
    if keep < 1:
        raise BackupError("keep must be at least 1 (HOURGLASS_BACKUP_KEEP or --keep)")
    vendor = connections[alias].vendor
    if vendor not in DUMPERS:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    created = now or datetime.now(UTC)
    directory.mkdir(parents=True, exist_ok=True)
    dump = directory / f"hourglass-{created:%Y%m%d-%H%M%S-%f}.{EXTENSIONS[vendor]}"
    if dump.exists():
        raise BackupError(f"{dump} already exists")
    partial = dump.with_name(dump.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        described = DUMPERS[vendor](alias, partial)
        partial.rename(dump)
    finally:
        partial.unlink(missing_ok=True)
    info = {
        "format": MANIFEST_FORMAT,
        "app_version": app_version(),
        "engine": vendor,
        "created_at": created.isoformat(),
        "dump": dump.name,
        "dump_bytes": dump.stat().st_size,
        "dump_sha256": file_sha256(dump),
        **described,
    }
    manifest = manifest_path(dump)
    written = manifest.with_name(manifest.name + ".partial")
    written.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.rename(manifest)  # the manifest last: a backup without one is incomplete
    return BackupResult(dump=dump, manifest=manifest, pruned=backups_prune(directory, keep), info=info)


def format_counts(tables: dict[str, int], only: Iterable[str]) -> str:
    return ", ".join(f"{table} {tables[table]}" for table in only if table in tables)
