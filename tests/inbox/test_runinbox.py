"""The real ``manage.py runinbox`` process, on the test database: start, receive, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from accounts.models import TimelineEntry
from integrations.inbox.models import InboundEmail, InboundStatus
from tests.conftest import free_port
from tests.integration.workers import REPO, wait_for
from tests.integration.workers import test_database_url as database_url

from .mail import message, send

pytestmark = pytest.mark.django_db(transaction=True)


def test_runinbox_matches_what_was_left_pending_then_receives_and_stops_on_sigterm(customers: Any):
    left = InboundEmail.objects.create(
        message_id="<left@example.com>", sender=customers.csm_a1, to_addresses=["wang.fang@acme.cn"], subject="Left"
    )
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "HOURGLASS_INBOX_DOMAINS": "inbox.test"}
    log = Path(tempfile.mkstemp(prefix="runinbox-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runinbox", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        assert wait_for(lambda: "Inbox listening" in log.read_text(), timeout=60), log.read_text()
        assert "Matched 1 email(s) left pending." in log.read_text()
        assert InboundEmail.objects.get(pk=left.pk).status == InboundStatus.MATCHED

        send(port, message(sender=customers.csm_a1.email, to="wang.fang@acme.cn", subject="Live"), mail_from="x@y.z")
        entry = TimelineEntry.objects.get(account=customers.acme, title="Live")
        assert entry.kind == "email" and entry.actor == customers.csm_a1
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0 and "Inbox stopped." in log.read_text()
