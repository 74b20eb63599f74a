from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.crm.mappings import ENTITIES, MAPPINGS
from integrations.crm.services import SyncRejected, crm_sync_csv

SHOWN_ERRORS = 200


class Command(BaseCommand):
    help = (
        "Sync accounts, stakeholders or contracts from a CRM's CSV export (Salesforce, HubSpot or Hourglass "
        "columns; contracts: Hourglass columns), "
        "all or nothing; for scheduled jobs. Exit status 1 when the file is rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", choices=sorted(MAPPINGS), required=True)
        parser.add_argument("--entity", choices=ENTITIES, default="accounts")
        parser.add_argument("--as", dest="username", required=True, help="Sync as this manager or admin.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = get_user_model().objects.get(username=options["username"], is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no such active user: {options['username']}") from exc
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            result = crm_sync_csv(
                actor=actor, entity=options["entity"], mapping=options["mapping"], data=path.read_bytes()
            )
        except SyncRejected as exc:
            for error in exc.errors[:SHOWN_ERRORS]:
                # Line numbers as a spreadsheet shows them: the header is line 1.
                where = f"line {error.index + 2}, {error.field}" if error.index is not None else error.field
                self.stderr.write(f"{where}: {error.message}")
            if len(exc.errors) > SHOWN_ERRORS:
                self.stderr.write(f"… and {len(exc.errors) - SHOWN_ERRORS} more problems")
            raise CommandError(f"rejected, nothing written: {len(exc.errors)} problems") from exc
        self.stdout.write(
            f"{result.entity}: {result.received} rows, {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged"
        )
