"""Real SMTP servers (aiosmtpd) and a hard worker kill for the integration tests."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import SmtpSink


def smtp_env(port: int) -> dict[str, str]:
    """Worker environment that sends mail over SMTP to 127.0.0.1:``port``."""
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }


class SlowSmtp(SmtpSink):
    """Answers RCPT slowly, so a worker can be killed in the middle of an SMTP session.

    A message counts only once its data was received: a client killed before that
    delivers nothing, as with any real mail server.
    """

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.in_rcpt = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd hook name
        self.in_rcpt += 1
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_rcpt -= 1
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextmanager
def smtp_listening(sink: SmtpSink, port: int) -> Iterator[SmtpSink]:
    """Run ``sink`` as a real aiosmtpd server on 127.0.0.1:``port`` for the block."""
    from aiosmtpd.controller import Controller

    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def kill_worker(pid: int) -> None:
    """SIGKILL the worker and its pool processes: no cleanup, no acks, no rollback hooks."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    child_pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    for child in child_pids:
        os.kill(child, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


def message_ids(messages: list[Any]) -> Counter[str]:
    """How often each Message-ID arrived (the outbox derives it from the dedupe key)."""
    return Counter(str(m["Message-ID"]) for m in messages)
