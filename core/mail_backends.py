"""The embedded default's email backend: one line per message on the console.

Without an SMTP host nothing is sent; the demo still runs every job that mails people.
Printing whole messages buried the demo logins under pages of alert emails, and the
bodies are kept anyway: every message leaves through the outbox (``core.OutboundEmail``),
where the admin can read it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class OneLineConsoleBackend(BaseEmailBackend):
    """Write ``email to <recipients>: <subject>`` for each message, and nothing else."""

    def __init__(self, *args: Any, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        with self._lock:
            for message in email_messages:
                recipients = message.recipients()
                if not recipients:
                    continue
                subject = " ".join(str(message.subject).split())
                self.stream.write(f"email to {', '.join(recipients)}: {subject}\n")
                sent += 1
            self.stream.flush()
        return sent
