"""``manage.py backup``: dump the database with a manifest into HOURGLASS_BACKUP_DIR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backups import BackupError, backup_create, format_counts


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump custom format; SQLite: the online backup API) "
        "with a manifest, keeping the newest HOURGLASS_BACKUP_KEEP backups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="Default: HOURGLASS_BACKUP_DIR.")
        parser.add_argument("--keep", type=int, default=None, help="Backups kept. Default: HOURGLASS_BACKUP_KEEP.")
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["dir"] or Path(settings.HOURGLASS_BACKUP_DIR)
        keep = settings.HOURGLASS_BACKUP_KEEP if options["keep"] is None else options["keep"]
        try:
            result = backup_create(directory=directory, keep=keep, alias=options["database"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        info = result.info
        self.stdout.write(self.style.SUCCESS(f"Backup written: {result.dump} ({info['dump_bytes']} bytes)"))
        self.stdout.write(f"Manifest: {result.manifest}")
        self.stdout.write(
            f"Engine {info['engine']}, version {info['app_version']}, "
            f"{len(info['tables'])} tables, {sum(info['tables'].values())} rows "
            f"({format_counts(info['tables'], ['accounts_account', 'auth_user', 'playbooks_task'])})"
        )
        for pruned in result.pruned:
            self.stdout.write(f"Pruned (keeping {keep}): {pruned.name}")
