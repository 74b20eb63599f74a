"""``manage.py runinbox``: the inbound SMTP listener, until SIGTERM/SIGINT (docs/inbox.md)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from integrations.inbox.services import inbound_emails_match_pending
from integrations.inbox.smtp import inbox_controller


class Command(BaseCommand):
    help = "Run the inbound SMTP listener that turns BCC'd email into timeline touchpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.HOURGLASS_INBOX_HOST)
        parser.add_argument("--port", type=int, default=settings.HOURGLASS_INBOX_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        # What a crash left between storing and matching is matched before new mail.
        matched = inbound_emails_match_pending()
        if matched:
            self.stdout.write(f"Matched {matched} email(s) left pending.")
        controller = inbox_controller(host=options["host"], port=options["port"])
        controller.start()
        limit = settings.HOURGLASS_INBOX_MAX_BYTES
        self.stdout.write(f"Inbox listening on {options['host']}:{options['port']} (SMTP, max {limit} bytes)")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
        self.stdout.write("Inbox stopped.")
