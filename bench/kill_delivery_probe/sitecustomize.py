"""Timestamps of the duplicate window, loaded by ``bench/kill_delivery.py``'s workers.

The bench puts this directory on the workers' ``PYTHONPATH`` with
``HOURGLASS_KILL_PROBE_DIR`` set; Python imports ``sitecustomize`` at start-up, before the
worker forks its pool, so every process measures, for each outbox message marked sent:
when the SMTP server's reply to DATA had been read (``smtplib.SMTP.data`` returned), when
the mark statement reached psycopg (``Cursor.execute`` entered, which writes it to the
socket), when it returned, and when the message's last bytes (the final dot) had been
written to the SMTP socket. From the dot on, the server may accept the message whatever
becomes of the worker; from the mark on, the database has it: a SIGKILL in between leaves
a delivered message unmarked. One line per message, written after the mark, so the probe
adds nothing inside the window but clock reads. Without the variable it does nothing;
the product never loads it.
"""

from __future__ import annotations

import os
import smtplib
import time
from typing import Any

_DIR = os.environ.get("HOURGLASS_KILL_PROBE_DIR", "")

if _DIR:
    import psycopg

    _replied = [0.0]
    _written = [0.0]
    _smtp_data = smtplib.SMTP.data
    _smtp_send = smtplib.SMTP.send
    _execute = psycopg.Cursor.execute

    def _send(self: Any, s: Any) -> Any:
        result = _smtp_send(self, s)
        _written[0] = time.monotonic()  # within data(): the content and its final dot
        return result

    def _data(self: Any, msg: Any) -> Any:
        reply = _smtp_data(self, msg)
        _replied[0] = time.monotonic()
        return reply

    def _is_mark(query: Any, params: Any) -> bool:
        return (
            isinstance(query, str)
            and query.startswith("UPDATE")
            and "core_outboundemail" in query
            and bool(params)
            and params[0] == "sent"
        )

    def _traced_execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        entered = time.monotonic()
        result = _execute(self, query, params, **kwargs)
        if _replied[0] and _is_mark(query, params):
            returned = time.monotonic()
            line = f"{_replied[0]:.7f} {entered:.7f} {returned:.7f} {_written[0]:.7f}\n"
            _replied[0] = 0.0
            path = os.path.join(_DIR, f"marks-{os.getpid()}.txt")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        return result

    smtplib.SMTP.data = _data  # type: ignore[method-assign]
    smtplib.SMTP.send = _send  # type: ignore[method-assign]
    psycopg.Cursor.execute = _traced_execute  # type: ignore[method-assign]
