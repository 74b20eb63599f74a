"""``manage.py restore FILE``: load a backup into an empty database, check it, migrate forward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backups import BackupError
from core.restore import backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` (the dump or its .json manifest) into the configured "
        "database, check row counts and checksums against the manifest, then migrate forward."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="hourglass-….pgdump / .sqlite3, or its .json manifest.")
        parser.add_argument("--force", action="store_true", help="Replace everything in a non-empty database.")
        parser.add_argument("--no-migrate", action="store_true", help="Leave the schema as the backup has it.")
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_restore(
                path=options["file"],
                alias=options["database"],
                force=options["force"],
                migrate=not options["no_migrate"],
            )
        except BackupError as exc:
            raise CommandError(f"Restore refused: {exc}") from exc
        info = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {info['dump']} ({info['engine']}, version {info['app_version']}, "
                f"made {info['created_at']}): "
                f"{result.tables} tables, {result.rows} rows; row counts and key-table checksums match the manifest."
            )
        )
        if not options["no_migrate"]:
            self.stdout.write("Schema migrated forward to this code's.")
