from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from health.services import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the daily usage rollups for a range of days (days in settings.TIME_ZONE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="start", required=True, type=date.fromisoformat, help="First day, YYYY-MM-DD."
        )
        parser.add_argument("--to", dest="end", required=True, type=date.fromisoformat, help="Last day (inclusive).")
        parser.add_argument(
            "--account", dest="accounts", type=int, action="append", help="Only this account id (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["end"] < options["start"]:
            raise CommandError("--to is before --from")
        written = rollups_rebuild(start=options["start"], end=options["end"], account_ids=options["accounts"])
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {written} daily rollup(s)."))
