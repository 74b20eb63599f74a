"""The "sent" mark right after the SMTP server's 250 (issue 22, item 5).

A real sender process (``tests/delivery/dying_sender.py``) is SIGKILLed at each step of a
delivery against a real SMTP server: right after a mark, while a mark is in flight, right
after a heartbeat, and inside the window between the 250 and the mark. Nothing is ever
lost; a message goes twice only when the kill fell inside that window (on PostgreSQL a mark
that has left the process is committed by the server all the same), and its copy carries
the first copy's Message-ID.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest
from django.db import connection

from core.models import OutboundEmail
from core.outbox import _Marks, email_due_ids, email_enqueue
from core.tasks import email_flush_task
from tests.conftest import SmtpSink, free_port
from tests.delivery.test_lease import smtp_settings
from tests.integration.smtp import message_ids, smtp_env, smtp_listening
from tests.integration.workers import REPO, wait_for
from tests.integration.workers import test_database_url as database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEASE = 3


def enqueue(count: int, prefix: str = "mark") -> list[int]:
    return [
        email_enqueue(dedupe_key=f"{prefix}:{i}", to=[f"m{i}@example.com"], subject=f"Mark {i}", body_text="x")[0].pk
        for i in range(count)
    ]


def sender(mode: str, ids: list[int], port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "HOURGLASS_OUTBOX_LEASE_SECONDS": str(LEASE),
        **smtp_env(port),
    }
    command = [sys.executable, "-m", "tests.delivery.dying_sender", mode, *map(str, ids)]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def killed(process: subprocess.Popen[bytes]) -> str:
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == -signal.SIGKILL, output
    assert "finished" not in output
    return output


def statuses(ids: list[int]) -> list[str]:
    rows = dict(OutboundEmail.objects.filter(pk__in=ids).values_list("pk", "status"))
    return [rows[pk] for pk in ids]


def flush_after_the_lease() -> int:
    time.sleep(LEASE + 0.5)  # the dead sender's lease runs out for real
    return email_flush_task()


SENT, SENDING = OutboundEmail.Status.SENT, OutboundEmail.Status.SENDING


def test_a_mark_is_committed_when_its_process_dies_right_after_it(settings):
    settings.HOURGLASS_OUTBOX_LEASE_SECONDS = LEASE
    ids = enqueue(2)
    sink, port = SmtpSink(), free_port()
    smtp_settings(settings, port)
    with smtp_listening(sink, port):
        killed(sender("after-mark", ids, port))
        assert statuses(ids) == [SENT, SENDING]  # the first is marked; the second still held
        assert email_due_ids() == [] and email_flush_task() == 0  # under its lease: not taken
        assert flush_after_the_lease() == 1
        received = sink.wait_for(2, timeout=10)
        time.sleep(0.5)
    assert statuses(ids) == [SENT, SENT]
    assert len(sink.messages) == 2 and max(message_ids(received).values()) == 1


def test_a_kill_between_the_250_and_the_mark_sends_the_message_once_more_with_its_message_id(settings):
    """The one window left: the SMTP server has the message, the database does not know yet."""
    settings.HOURGLASS_OUTBOX_LEASE_SECONDS = LEASE
    (pk,) = enqueue(1)
    sink, port = SmtpSink(), free_port()
    smtp_settings(settings, port)
    with smtp_listening(sink, port):
        killed(sender("before-mark", [pk], port))
        assert len(sink.messages) == 1 and statuses([pk]) == [SENDING]
        assert flush_after_the_lease() == 1
        received = sink.wait_for(2, timeout=10)
    assert statuses([pk]) == [SENT]
    assert len(received) == 2 and list(message_ids(received).values()) == [2]  # one duplicate, same Message-ID


def test_a_kill_right_after_a_heartbeat_loses_nothing_and_sends_nothing_twice(settings):
    settings.HOURGLASS_OUTBOX_LEASE_SECONDS = LEASE
    ids = enqueue(3)
    sink, port = SmtpSink(), free_port()
    smtp_settings(settings, port)
    with smtp_listening(sink, port):
        killed(sender("after-heartbeat", ids, port))
        assert statuses(ids) == [SENT, SENDING, SENDING]
        assert email_due_ids() == []  # the heartbeat renewed the lease just before the kill
        assert flush_after_the_lease() == 2
        received = sink.wait_for(3, timeout=10)
        time.sleep(0.5)
    assert statuses(ids) == [SENT, SENT, SENT]
    assert len(sink.messages) == 3 and max(message_ids(received).values()) == 1


class LockingSmtp(SmtpSink):
    """Accepts the first message, then holds a lock on its outbox row (or, on SQLite, the
    database's write lock) from another connection, so the sender's mark waits in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.lock: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        reply = await super().handle_DATA(server, session, envelope)
        if self.lock is not None:
            return reply
        if connection.vendor == "postgresql":
            import psycopg

            self.lock = psycopg.connect(database_url())
            self.lock.execute("SELECT id FROM core_outboundemail FOR UPDATE")
        else:
            self.lock = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, check_same_thread=False)
            self.lock.execute("BEGIN IMMEDIATE")
        return reply

    def release(self) -> None:
        self.lock.rollback()
        self.lock.close()


def mark_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE 'UPDATE %%core_outboundemail%%sent_at%%'"
        )
        return bool(cursor.fetchone()[0])


def test_a_mark_in_flight_when_its_process_dies_is_not_lost(settings):
    """On PostgreSQL the mark has reached the server, which commits it after the sender died:
    nothing twice. On SQLite there is no server to hold it: the message goes once more."""
    settings.HOURGLASS_OUTBOX_LEASE_SECONDS = LEASE
    (pk,) = enqueue(1)
    sink, port = LockingSmtp(), free_port()
    smtp_settings(settings, port)
    with smtp_listening(sink, port):
        process = sender("plain", [pk], port)
        assert wait_for(lambda: sink.lock is not None, timeout=60, interval=0.05)
        if connection.vendor == "postgresql":
            assert wait_for(mark_waiting_on_a_lock, timeout=20, interval=0.05)
        else:
            time.sleep(1)  # the mark waits on the write lock (busy timeout 20 s)
        process.send_signal(signal.SIGKILL)
        killed(process)
        sink.release()
        if connection.vendor == "postgresql":
            assert wait_for(lambda: statuses([pk]) == [SENT], timeout=10, interval=0.05)
            assert flush_after_the_lease() == 0
            time.sleep(0.5)
            assert len(sink.messages) == 1
        else:
            assert statuses([pk]) == [SENDING]
            assert flush_after_the_lease() == 1
            assert list(message_ids(sink.wait_for(2, timeout=10)).values()) == [2]
    assert statuses([pk]) == [SENT]


def test_the_mark_is_one_fixed_statement_committed_asynchronously_on_postgresql(settings):
    (pk,) = enqueue(1)
    OutboundEmail.objects.filter(pk=pk).update(status=SENDING)
    marks = _Marks()
    if connection.vendor == "postgresql":
        assert marks.raw is connection.connection and "set_config('synchronous_commit', 'off', true)" in marks.sql
        # Inside a transaction of its own the statement turns asynchronous commit on for it alone.
        with marks.raw.transaction():
            marks.cursor.execute(marks.sql, (marks.SENT, 1, None, pk))
            assert marks.raw.execute("SHOW synchronous_commit").fetchone()[0] == "off"
        assert marks.raw.execute("SHOW synchronous_commit").fetchone()[0] == "on"
    else:
        assert marks.raw is None
    marks.sent(pk, 1)
    row = OutboundEmail.objects.get(pk=pk)
    assert row.status == SENT and row.attempts == 1 and row.sent_at is not None and row.last_error == ""


def test_every_email_leaves_through_the_outbox_and_its_mark():
    """Alert, playbook, digest, reminder and notification emails share ``core/outbox.py``:
    no other module hands a message to an email backend, so all of them get the fast mark."""
    from pathlib import Path

    from tests.test_code_size import ROOT, app_modules

    senders = ("send_mail(", "send_mass_mail(", "mail_admins(", "mail_managers(", ".send_messages(", "EmailMessage(")
    outside = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in app_modules()
        if path != ROOT / "core" / "outbox.py"
        for needle in senders
        if needle in Path(path).read_text(encoding="utf-8")
    ]
    assert outside == []
    assert "marks.sent(message.pk, attempts)" in (ROOT / "core" / "outbox.py").read_text(encoding="utf-8")
