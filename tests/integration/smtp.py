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


def kill_while_mailing_then_recover(
    *,
    job: Any,
    expected: int,
    sink: SlowSmtp,
    port: int,
    all_queued: Any,
    rerun_done: Any = None,
    timeout: float = 90,
) -> None:
    """Run ``job`` (a Celery task that queues ``expected`` emails) on a real worker, SIGKILL
    it while a message is half-way through its SMTP session (after a few went out), check
    ``all_queued()`` (everything was committed before delivery began) and that only the
    dead worker's claim (at most ``CLAIM_CHUNK`` messages) is stuck; then let its claim lease
    pass and run the outbox flush and ``job`` again on a fresh worker until all ``expected``
    messages arrived (and ``rerun_done(worker)`` holds, when given). The caller checks for duplicates."""
    import time
    from datetime import timedelta

    from django.utils import timezone

    from core.models import OutboundEmail
    from core.outbox import CLAIM_CHUNK, claim_lease
    from core.tasks import email_flush_task
    from tests.integration.workers import running_worker, wait_for

    with running_worker(extra_env=smtp_env(port)) as worker:
        job.apply_async(queue=worker.queue)
        caught = wait_for(lambda: len(sink.messages) >= 3 and sink.in_rcpt > 0, timeout=timeout)
        assert caught, worker.logs()
        kill_worker(worker.process.pid)
        worker.process.wait(timeout=10)
    assert 3 <= len(sink.messages) < expected
    all_queued()
    stuck = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING)
    # The dead worker's claim: the message it was sending and the rest of its chunk.
    assert 1 <= stuck.count() <= CLAIM_CHUNK
    stuck.update(claimed_at=timezone.now() - claim_lease() - timedelta(seconds=1))
    with running_worker(extra_env=smtp_env(port)) as worker:
        email_flush_task.apply_async(queue=worker.queue)
        job.apply_async(queue=worker.queue)
        received = sink.wait_for(expected, timeout=timeout)
        assert len(received) == expected, worker.logs()
        if rerun_done is not None:
            assert wait_for(lambda: rerun_done(worker), timeout=timeout), worker.logs()
        time.sleep(2)  # anything extra would arrive now
