from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit_source import audit_source
from core.demo import DemoDataPresent
from workspace.demo import demo_data_present, demo_logins, demo_reset, demo_seed


class Command(BaseCommand):
    help = "Load the deterministic demo data set: a CS team and customer accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Random seed (same seed, same data).")
        parser.add_argument("--accounts", type=int, default=300, help="Number of customer accounts.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when data is already there.")
        parser.add_argument("--reset", action="store_true", help="Delete the demo data first.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["accounts"] < 1:
            raise CommandError("--accounts must be at least 1")
        if options["if_empty"] and demo_data_present():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        if options["reset"]:
            demo_reset()
        try:
            with audit_source("command seed_demo"):
                ctx = demo_seed(seed=options["seed"], accounts=options["accounts"])
        except DemoDataPresent as exc:
            raise CommandError(f"{exc}; use --reset to replace it or --if-empty to keep it") from exc
        self.stdout.write(self.style.SUCCESS("Created: " + "; ".join(ctx.summary)))
        self.stdout.write("Demo logins:")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<10} {login.role:<8} password: {login.password}")
