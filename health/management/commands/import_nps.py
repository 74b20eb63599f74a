"""Import NPS survey responses from a CSV file, all or nothing, as a given user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit_source import audit_source
from health.nps import CSV_COLUMNS, NpsImportError, nps_responses_import, read_csv


class Command(BaseCommand):
    help = (
        "Import NPS responses from a CSV file with a header row. Columns: "
        + ", ".join(CSV_COLUMNS)
        + " (the first three required). Any invalid row and nothing is stored; "
        "rows whose external_id is already stored for the account are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="Import as this user (their account scope).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {options['username']!r}") from exc
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        try:
            with audit_source("command import_nps"):
                result = nps_responses_import(actor=actor, rows=read_csv(text))
        except NpsImportError as exc:
            for error in exc.errors:
                self.stderr.write(f"row {error.row}, column {error.column}: {error.reason}")
            raise CommandError(f"{len(exc.errors)} error(s); nothing was imported.") from exc
        self.stdout.write(f"Imported {result.created} response(s); {result.duplicates} already stored.")
