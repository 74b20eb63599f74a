"""``manage.py repair NAME [--date D | --start D --end D]``: re-run an idempotent job.

Each job is a function ``fn(*, start: date, end: date) -> str`` of its app's
``repairs`` module; ``--list`` shows them. Each is safe to run again: a second run
reports the same state and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.audit_source import audit_source
from health.repairs import rollups_repair
from playbooks.repairs import stage_sweep_repair
from renewals.repairs import reminder_sweep_repair

REPAIRS: dict[str, Callable[..., str]] = {
    "rollups": rollups_repair,
    "stages": stage_sweep_repair,
    "reminders": reminder_sweep_repair,
}


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Check and repair: rebuild rollups, re-run the stage or reminder sweep for a date range."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="which job (see --list)")
        parser.add_argument("--list", action="store_true", help="list the jobs")
        parser.add_argument("--date", help="one day (YYYY-MM-DD); default today")
        parser.add_argument("--start", help="first day of a range (YYYY-MM-DD)")
        parser.add_argument("--end", help="last day of a range (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        repairs = REPAIRS
        if options["list"] or not options["name"]:
            for name, job in repairs.items():
                doc = (job.__doc__ or "").strip().splitlines()
                self.stdout.write(f"{name}: {doc[0] if doc else name}")
            return
        name = options["name"]
        if name not in repairs:
            raise CommandError(f"unknown job {name!r}; one of: {', '.join(repairs)}")
        if options["date"] and (options["start"] or options["end"]):
            raise CommandError("give --date or --start/--end, not both")
        if options["date"]:
            start = end = _day(options["date"])
        else:
            today = timezone.localdate()
            start = _day(options["start"]) if options["start"] else today
            end = _day(options["end"]) if options["end"] else (start if options["start"] else today)
        if end < start:
            raise CommandError("--end is before --start")
        with audit_source(f"command repair {name}"):
            summary = repairs[name](start=start, end=end)
        self.stdout.write(self.style.SUCCESS(summary))
