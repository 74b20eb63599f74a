"""The activity-drop scan on a real worker that is SIGKILLed mid-run, then run again.

Two places a worker can die: while the scan's transaction is open (nothing of it may
survive, and the next run must raise every alert), and while the alert emails are
being handed to the SMTP server (the alerts are committed; the outbox must deliver
each email exactly once after the claim lease of the dead worker's message expires).
Either way, after a second worker run every drop has exactly one alert and exactly
one email per alert reaches a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Account, TimelineEntry
from core.models import Notification, OutboundEmail
from health.models import ActivityAlert, DailyRollup
from health.tasks import activity_drop_scan_task
from tests.conftest import SmtpSink, free_port
from tests.factories import AccountFactory
from tests.integration.smtp import (
    SlowSmtp,
    kill_while_mailing_then_recover,
    kill_worker,
    message_ids,
    smtp_env,
    smtp_listening,
)
from tests.integration.workers import running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCAN = activity_drop_scan_task.name


def dropping_accounts(org, count: int) -> list[Account]:
    """``count`` accounts whose activity fell sharply 5 days before the worker's scan day.

    Created in bulk: saving one by one would queue a stage refresh per account.
    """
    owners = [org.csm_a1, org.csm_a2, org.csm_b1]
    accounts = Account.objects.bulk_create(
        [AccountFactory.build(owner=owners[i % 3], name=f"Dropping {i:03d}") for i in range(count)]
    )
    scan_day = timezone.localdate() - timedelta(days=1)  # the worker's default day
    low_from = scan_day - timedelta(days=5)
    days = [scan_day - timedelta(days=n) for n in range(61)]
    DailyRollup.objects.bulk_create(
        [
            DailyRollup(account=account, day=day, events=events, active_users=max(1, events // 4))
            for account in accounts
            for day in days
            for events in [20 if day < low_from else 1]
        ],
        batch_size=5000,
    )
    return accounts


def another_writer_inside_a_transaction() -> bool:
    """True while another process holds an open write transaction on the test database.

    PostgreSQL: a backend with a transaction id has written rows it has not committed.
    SQLite: the write lock is taken (the app's transactions begin IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
            return cursor.fetchone()[0] > 0
    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def assert_each_drop_alerted_and_mailed_once(accounts: list[Account], messages: list) -> None:
    ids = {a.pk for a in accounts}
    alerts = list(ActivityAlert.objects.values_list("account_id", flat=True))
    assert sorted(alerts) == sorted(ids)  # one alert per drop, none for anything else
    assert TimelineEntry.objects.filter(kind="activity_drop").count() == len(accounts)
    assert Notification.objects.filter(kind="activity_drop").count() == len(accounts)
    assert len(messages) == len(accounts)
    counts = message_ids(messages)
    assert len(counts) == len(accounts) and max(counts.values()) == 1
    subjects = sorted(str(m["Subject"]) for m in messages)
    for account, subject in zip(sorted(accounts, key=lambda a: a.name), subjects, strict=True):
        assert account.name in subject
    sent = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT)
    assert sent.count() == OutboundEmail.objects.count() == len(accounts)


def test_worker_killed_while_mailing_alerts_loses_and_duplicates_nothing(org):
    accounts = dropping_accounts(org, 10)
    sink = SlowSmtp(delay=0.3)
    port = free_port()

    def all_queued() -> None:  # the scan committed every alert and email before delivery began
        assert ActivityAlert.objects.count() == len(accounts)
        assert OutboundEmail.objects.count() == len(accounts)

    with smtp_listening(sink, port):
        kill_while_mailing_then_recover(
            job=activity_drop_scan_task,
            expected=len(accounts),
            sink=sink,
            port=port,
            all_queued=all_queued,
            rerun_done=lambda worker: worker.task_count(SCAN) == 1,  # the re-scan found the drops in cooldown
            timeout=120,
        )
        assert_each_drop_alerted_and_mailed_once(accounts, sink.messages)


def test_worker_killed_inside_the_scan_transaction_then_rerun_alerts_every_drop_once(org):
    # Enough accounts that the scan's transaction (an alert, timeline entry,
    # notification and outbox row per drop) is still open when the worker dies.
    accounts = dropping_accounts(org, 500)
    sink = SmtpSink()
    port = free_port()
    with smtp_listening(sink, port):
        with running_worker(extra_env=smtp_env(port)) as worker:
            activity_drop_scan_task.apply_async(queue=worker.queue)
            assert wait_for(lambda: worker.task_count(SCAN, "received") == 1, timeout=120), worker.logs()
            inside = wait_for(another_writer_inside_a_transaction, timeout=60, interval=0.01)
            assert inside, worker.logs()
            kill_worker(worker.process.pid)
            worker.process.wait(timeout=10)
            log = worker.logs()
        # The scan logs its summary just before committing: absent, it died inside and
        # nothing of it survived.
        assert "alerts raised" not in log, log
        assert ActivityAlert.objects.count() == 0
        assert OutboundEmail.objects.count() == 0 and sink.messages == []
        with running_worker(concurrency=4, extra_env=smtp_env(port)) as worker:
            activity_drop_scan_task.apply_async(queue=worker.queue)
            received = sink.wait_for(len(accounts), timeout=240)
            assert len(received) == len(accounts), worker.logs()
            activity_drop_scan_task.apply_async(queue=worker.queue)  # a third run raises nothing new
            assert wait_for(lambda: worker.task_count(SCAN) == 2, timeout=120), worker.logs()
            time.sleep(2)  # anything extra would arrive now
        assert_each_drop_alerted_and_mailed_once(accounts, sink.messages)
