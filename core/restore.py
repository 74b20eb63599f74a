"""Restores: load a backup made by ``core.backups`` into an empty database, check it, migrate.

Refused, before the target is touched: a dump whose sha256 is not the manifest's (a
truncated or swapped file), a dump of the other engine, a dump from a newer schema
(migrations this code does not know), and a non-empty target unless ``force``. After
loading, every table's row count and the key tables' checksums must equal the
manifest's; then the schema is migrated forward to this code's.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from .backups import (
    BACKUP_NAME,
    MANIFEST_FORMAT,
    BackupError,
    describe,
    file_sha256,
    list_tables,
    manifest_path,
    pg_command_env,
    pg_tool,
    quote,
)


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    tables: int
    rows: int


def manifest_read(path: Path) -> tuple[Path, dict[str, Any]]:
    """The dump and its manifest, given either file."""
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    dump = path
    if path.suffix == ".json":
        dump = path.with_name(json.loads(path.read_text(encoding="utf-8")).get("dump", ""))
    if not BACKUP_NAME.match(dump.name):
        raise BackupError(f"{path} is not a Hourglass backup (hourglass-<date>-<time>.pgdump|.sqlite3 and its .json)")
    manifest = manifest_path(dump)
    if not manifest.exists():
        raise BackupError(f"{manifest} is missing: a backup is restored with its manifest")
    if not dump.exists():
        raise BackupError(f"{dump} is missing (the manifest {manifest} names it)")
    info = json.loads(manifest.read_text(encoding="utf-8"))
    if info.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{manifest} has manifest format {info.get('format')!r}; this code reads {MANIFEST_FORMAT}")
    return dump, info


def unknown_migrations(info: dict[str, Any]) -> list[str]:
    """Migrations applied in the backup that this code does not have."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app_label}.{name}"
        for app_label, names in sorted(info.get("migrations", {}).items())
        for name in names
        if (app_label, name) not in known
    ]


def restore_preflight(*, dump: Path, info: dict[str, Any], alias: str, force: bool) -> None:
    """Every refusal, before anything is written."""
    if file_sha256(dump) != info.get("dump_sha256"):
        raise BackupError(
            f"{dump.name}'s sha256 is not the one in its manifest: the file is damaged or not the dump "
            "the manifest describes. Restore another backup."
        )
    vendor = connections[alias].vendor
    if info.get("engine") != vendor:
        raise BackupError(
            f"this is a {info.get('engine')} backup and the target database is {vendor}: "
            "restore into the same engine (DATABASE_URL)."
        )
    unknown = unknown_migrations(info)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise BackupError(
            f"the backup comes from a newer schema than this code: it has {len(unknown)} migration(s) this "
            f"code does not know ({shown}). Install Hourglass {info.get('app_version')} (the version that made "
            "it) or newer, then restore."
        )
    with connections[alias].cursor() as cursor:
        present = list_tables(cursor, vendor)
    if present and not force:
        raise BackupError(
            f"the target database is not empty ({len(present)} tables, e.g. {', '.join(present[:3])}). "
            "Restore into a new empty database, or pass --force to replace everything in it."
        )


def _restore_postgresql(alias: str, dump: Path, force: bool, checksummed: list[str]) -> dict[str, Any]:
    connection = connections[alias]
    if force:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = quote(cursor.fetchone()[0])
            cursor.execute(f"DROP SCHEMA {schema} CASCADE; CREATE SCHEMA {schema}")
    args, env = pg_command_env(connection.settings_dict)
    restored = subprocess.run(  # noqa: S603
        [pg_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", *args, str(dump)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if restored.returncode != 0:
        raise BackupError(f"pg_restore failed: {restored.stderr.strip()}")
    connection.close()  # fresh introspection and sequences from here on
    with connection.cursor() as cursor:
        return describe(cursor, "postgresql", checksummed)


def _restore_sqlite(alias: str, dump: Path, force: bool, checksummed: list[str]) -> dict[str, Any]:
    connection = connections[alias]
    target = str(connection.settings_dict["NAME"])
    connection.close()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)  # replaces the whole target database, pages and all
        return describe(destination.cursor(), "sqlite", checksummed)
    finally:
        source.close()
        destination.close()


RESTORERS: dict[str, Callable[[str, Path, bool, list[str]], dict[str, Any]]] = {
    "postgresql": _restore_postgresql,
    "sqlite": _restore_sqlite,
}


def restore_verify(info: dict[str, Any], restored: dict[str, Any]) -> None:
    wrong = [
        f"{table}: {rows} rows in the backup, {restored['tables'].get(table)} restored"
        for table, rows in info["tables"].items()
        if restored["tables"].get(table) != rows
    ]
    wrong += [
        f"{table}: checksum differs"
        for table, checksum in info["checksums"].items()
        if restored["checksums"].get(table) != checksum
    ]
    if wrong:
        raise BackupError("the restored data is not what the backup holds: " + "; ".join(wrong[:10]))


def backup_restore(*, path: Path, alias: str = "default", force: bool = False, migrate: bool = True) -> RestoreResult:
    dump, info = manifest_read(path)
    restore_preflight(dump=dump, info=info, alias=alias, force=force)
    restored = RESTORERS[info["engine"]](alias, dump, force, list(info["checksums"]))
    restore_verify(info, restored)
    if migrate:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    return RestoreResult(manifest=info, tables=len(restored["tables"]), rows=sum(restored["tables"].values()))
