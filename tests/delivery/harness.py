"""Kill a worker mid-delivery, with two reminder sweeps at once, and count what arrives.

Used by ``tests/delivery/test_worker_kill.py`` (a few trials) and ``bench/kill_delivery.py``
(the full count). A trial runs two real Celery workers on one queue against a real SMTP
server (aiosmtpd) that records when each message arrived, sends the renewal reminder sweep
twice at once, and plays beat by sending the outbox flush every ``flush_seconds``. Once
every reminder is queued and a worker is half-way through sending them (after a random
number of messages arrived), it SIGKILLs that worker's pool process (``child``: the worker
itself survives, sees the loss and puts the task back) or the whole worker with its pool
(``worker``: the task dies with it, the flush must rescue its claimed emails once their
lease ran out). ``none`` kills nothing: the baseline of the same run.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.smtp import SlowSmtp, kill_worker, smtp_env, smtp_listening
from tests.integration.workers import Worker, running_worker, wait_for

KILL_MODES = ("none", "child", "worker")
DELIVERY_TASKS = ("core.email_deliver_many_task", "core.email_flush_task", "core.email_deliver_task")


class TimedSmtp(SlowSmtp):
    """A slow SMTP server (see ``SlowSmtp``) that notes when each message's data arrived."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.arrivals: list[tuple[float, str, str]] = []  # (monotonic time, Message-ID, To + Subject)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        reply = await super().handle_DATA(server, session, envelope)
        message = self.messages[-1]
        with self._lock:
            self.arrivals.append(
                (time.monotonic(), str(message["Message-ID"]), f"{message['To']}|{message['Subject']}")
            )
        return reply


@dataclass(frozen=True)
class TrialResult:
    mode: str
    expected: int
    missing: int
    duplicates: int  # copies beyond the first, over all messages
    duplicates_same_id: bool  # every copy carried its first copy's Message-ID
    late_after_kill: float  # seconds from the kill (or the same moment without one) to the last first copy
    held_at_kill: int  # emails the killed worker held claimed
    redelivered: bool  # the killed task ran again (worker-lost rejection), seen in the logs
    # For each message that arrived twice: ms from its first copy's arrival to the kill (negative:
    # before it). A copy of the message the killed worker had just handed over shows a few ms.
    duplicate_offsets_ms: tuple[float, ...] = ()


def outbox_reset() -> None:
    """Forget the previous trial's reminders and emails, so the same renewals are owed again."""
    from accounts.models import TimelineEntry
    from core.models import Notification, OutboundEmail
    from renewals.models import RenewalReminder

    TimelineEntry.objects.all().delete()
    Notification.objects.all().delete()
    RenewalReminder.objects.all().delete()
    OutboundEmail.objects.all().delete()


@contextmanager
def beat(queue: str, every: float) -> Iterator[None]:
    """What beat does for the outbox: send the flush every ``every`` seconds (to ``queue``)."""
    from core.tasks import email_flush_task

    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            email_flush_task.apply_async(queue=queue)

    thread = threading.Thread(target=run, name="outbox-beat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)


def _log(worker: Worker) -> str:
    return worker.log_path.read_text(errors="replace")


def in_flight(worker: Worker) -> set[str]:
    """Ids of the delivery tasks the worker's log shows received and not finished."""
    log = _log(worker)
    ids: set[str] = set()
    for name in DELIVERY_TASKS:
        pattern = rf"{re.escape(name)}\[([0-9a-f-]+)\] "
        received = set(re.findall(pattern + "received", log))
        done = set(re.findall(pattern + "(?:succeeded|raised)", log))
        ids |= received - done
    return ids


def received_again(workers: Sequence[Worker], task_ids: set[str]) -> bool:
    """One of ``task_ids`` was received a second time (put back after its worker was lost)."""
    logs = "".join(_log(worker) for worker in workers)
    return any(len(re.findall(rf"\[{re.escape(task_id)}\] received", logs)) >= 2 for task_id in task_ids)


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def _all_queued(count: int) -> bool:
    from renewals.models import RenewalReminder

    return RenewalReminder.objects.exclude(queued_at=None).count() == count


def _settled() -> bool:
    from core.models import OutboundEmail

    return not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()


def _kill(victim: Worker, mode: str) -> None:
    if mode == "child":
        for child in pool_children(victim.process.pid):
            os.kill(child, signal.SIGKILL)
    else:
        kill_worker(victim.process.pid)
        victim.process.wait(timeout=10)


def run_trial(
    *,
    mode: str,
    renewals: int,
    rng: random.Random,
    lease: int = 6,
    flush_seconds: float = 1.0,
    smtp_delay: float = 0.05,
    batch_size: int = 20,
    timeout: float = 240.0,
    extra_env: dict[str, str] | None = None,
) -> TrialResult:
    """One trial over ``renewals`` renewals owed a reminder today (made by the caller);
    ``extra_env`` goes to the workers (the bench's probe of the duplicate window)."""
    from core.models import OutboundEmail
    from tests.conftest import free_port

    assert mode in KILL_MODES, mode
    outbox_reset()
    port, queue = free_port(), f"kill-{uuid.uuid4().hex[:10]}"
    sink = TimedSmtp(delay=smtp_delay)
    env = {
        **smtp_env(port),
        "HOURGLASS_OUTBOX_LEASE_SECONDS": str(lease),
        "HOURGLASS_RENEWAL_REMINDER_BATCH_SIZE": str(batch_size),
        **(extra_env or {}),
    }
    with ExitStack() as stack:
        stack.enter_context(smtp_listening(sink, port))
        workers = [stack.enter_context(running_worker(queue=queue, extra_env=env)) for _ in range(2)]
        assert wait_for(lambda: all(" ready." in w.logs() for w in workers), timeout=60), workers[0].logs()
        from renewals.tasks import reminder_sweep_task

        for _ in range(2):  # two sweeps at once
            reminder_sweep_task.apply_async(queue=queue)
        stack.enter_context(beat(queue, flush_seconds))
        after = rng.randint(1, max(1, renewals * 2 // 3))
        victims: list[Worker] = []

        def mid_delivery() -> bool:  # cheap checks first: the SMTP server shares this process
            if len(sink.arrivals) < after or sink.in_rcpt == 0 or not _all_queued(renewals):
                return False
            victims[:] = [w for w in workers if in_flight(w)]
            return bool(victims)

        assert wait_for(mid_delivery, timeout=timeout, interval=0.05), [w.logs() for w in workers]
        victim = rng.choice(victims)
        lost_tasks = in_flight(victim)
        held = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).count()
        moment = time.monotonic()
        if mode != "none":
            _kill(victim, mode)
        expected = OutboundEmail.objects.count()
        wait_for(lambda: len({a[1] for a in sink.arrivals}) >= expected and _settled(), timeout=timeout, interval=0.5)
        time.sleep(2)  # a late copy would arrive now
        # The pool reports a lost process's task after ``worker_lost_wait`` (10 s), then puts it back.
        redelivered = mode == "child" and wait_for(lambda: received_again(workers, lost_tasks), timeout=40)
    return _result(mode, sink, expected, moment, held if mode != "none" else 0, redelivered)


def _result(mode: str, sink: TimedSmtp, expected: int, moment: float, held: int, redelivered: bool) -> TrialResult:
    from core.models import OutboundEmail
    from core.outbox import _message_id

    wanted = {_message_id(message) for message in OutboundEmail.objects.only("dedupe_key")}
    first: dict[str, float] = {}
    ids_by_message: dict[str, set[str]] = defaultdict(set)
    for at, message_id, identity in sink.arrivals:
        first.setdefault(message_id, at)
        ids_by_message[identity].add(message_id)
    copies = len(sink.arrivals) - len(first)
    counts: dict[str, int] = defaultdict(int)
    for _, message_id, _ in sink.arrivals:
        counts[message_id] += 1
    offsets = tuple(round((first[m] - moment) * 1000, 1) for m, n in counts.items() if n > 1)
    late = max((at - moment for at in first.values() if at >= moment), default=0.0)
    return TrialResult(
        mode=mode,
        expected=expected,
        missing=len(wanted - set(first)),
        duplicates=copies,
        duplicates_same_id=all(len(ids) == 1 for ids in ids_by_message.values()),
        late_after_kill=round(late, 2),
        held_at_kill=held,
        redelivered=redelivered,
        duplicate_offsets_ms=offsets,
    )


def make_due_renewals(owners: Sequence[Any], count: int) -> list[Any]:
    """``count`` renewals owed a CSM reminder today (the workers' real date), one per account."""
    from django.utils import timezone

    from tests.renewals.conftest import make_renewal

    today = timezone.localdate()
    return [make_renewal(owners[i % len(owners)], days_left=(90, 60, 30, 7)[i % 4], today=today) for i in range(count)]
