"""``manage.py doctor``: settings and services sanity, one actionable line each; exit 1 on errors."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.doctor import ERROR, OK, WARNING, doctor_run


class Command(BaseCommand):
    help = (
        "Check the deployment: SECRET_KEY, DEBUG, ALLOWED_HOSTS, database and migrations, broker, beat and "
        "workers (heartbeat), email, time zone, currency, static files, backups. Exits 1 when an error is found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print only warnings and errors.")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = doctor_run()
        styles = {OK: self.style.SUCCESS, WARNING: self.style.WARNING, ERROR: self.style.ERROR}
        for finding in findings:
            if options["quiet"] and finding.level == OK:
                continue
            self.stdout.write(styles[finding.level](f"{finding.level.upper():<8}{finding.check:<15}{finding.message}"))
        errors = sum(finding.level == ERROR for finding in findings)
        warnings = sum(finding.level == WARNING for finding in findings)
        self.stdout.write(f"{errors} error(s), {warnings} warning(s)")
        if errors:
            sys.exit(1)
