from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports import csv_import, estimated_rows
from accounts.models import ImportKind
from core.audit_source import audit_source


class Command(BaseCommand):
    help = "Import accounts or stakeholders from a CSV file (all-or-nothing unless --valid-only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.ACCOUNTS)
        parser.add_argument("--as", dest="username", required=True, help="Import as this user (their scope applies).")
        parser.add_argument("--valid-only", action="store_true", help="Write the valid rows, report the others.")
        parser.add_argument("--rejected-out", type=Path, help="Write the rejected rows (with reasons) here.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no such user: {options['username']}") from exc
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        data = path.read_bytes()
        expected = estimated_rows(data)

        def progress(done: int) -> None:
            percent = 100 * done // expected if expected else 100
            self.stdout.write(f"checked {done}/{expected} rows ({min(percent, 100)}%)")
            self.stdout.flush()

        with audit_source("command import_csv"):  # the rows' history names the import run
            result, run = csv_import(
                actor=actor,
                kind=options["kind"],
                data=data,
                filename=path.name,
                valid_only=options["valid_only"],
                progress=progress,
            )
        for error in result.errors[:200]:
            where = f"row {error.row}, column {error.column}" if error.row else "file"
            self.stderr.write(f"{where}: {error.reason}")
        if len(result.errors) > 200:
            self.stderr.write(f"… and {len(result.errors) - 200} more problems")
        if options["rejected_out"] and result.rejected_csv:
            options["rejected_out"].write_text(result.rejected_csv, encoding="utf-8")
        summary = (
            f"{run.get_status_display()}: {result.total_rows} rows, {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged, {result.rejected_rows} rejected"
        )
        if result.errors and not result.written:
            raise CommandError(summary)
        self.stdout.write(summary)
