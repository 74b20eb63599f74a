"""A sender that SIGKILLs itself at a chosen step of delivery (``tests/delivery/test_mark.py``).

    python -m tests.delivery.dying_sender MODE MESSAGE_ID...

Runs ``email_deliver_many`` in a process of its own, against the database and SMTP server
its environment names, and dies without any cleanup:

- ``after-mark``: right after the first message's "sent" statement returned;
- ``before-mark``: after the SMTP server's 250, before the mark (the duplicate window);
- ``after-heartbeat``: right after the claim's second lease extension (the first message
  sent, the others still held);
- ``plain``: no self-kill (the test kills it while its mark waits on a row lock).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    mode, ids = sys.argv[1], [int(arg) for arg in sys.argv[2:]]
    import django

    django.setup()
    from core import outbox

    original_sent, original_heartbeat = outbox._Marks.sent, outbox._Claim.heartbeat
    heartbeats = [0]

    def sent_then_die(self: Any, pk: int, attempts: int) -> None:
        original_sent(self, pk, attempts)
        die()

    def die_instead(self: Any, pk: int, attempts: int) -> None:
        die()

    def heartbeat_then_die(self: Any, *, force: bool = False) -> None:
        heartbeats[0] += 1
        original_heartbeat(self, force=True)
        if heartbeats[0] == 2:
            die()

    if mode == "after-mark":
        outbox._Marks.sent = sent_then_die  # type: ignore[method-assign]
    elif mode == "before-mark":
        outbox._Marks.sent = die_instead  # type: ignore[method-assign]
    elif mode == "after-heartbeat":
        outbox._Claim.heartbeat = heartbeat_then_die  # type: ignore[method-assign]
    elif mode != "plain":
        sys.exit(f"unknown mode {mode!r}")
    print("delivering", flush=True)
    outbox.email_deliver_many(ids)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
