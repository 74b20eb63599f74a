"""Program steps through a real Celery worker, the configured broker and a real SMTP
server: each step's email once, a duplicate sweep sends nothing, and a worker SIGKILLed
mid-delivery loses and duplicates nothing."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from core.models import OutboundEmail
from outreach.models import Enrollment, Program, StepRun
from outreach.programs.enrol import program_enrol
from outreach.tasks import program_steps_task
from tests.conftest import free_port
from tests.integration.smtp import SlowSmtp, kill_while_mailing_then_recover, smtp_env
from tests.integration.workers import running_worker
from tests.outreach.conftest import contact
from tests.outreach.programs_support import make_program

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

NO_QUIET_HOURS = {"HOURGLASS_SURVEY_QUIET_START": "0", "HOURGLASS_SURVEY_QUIET_END": "0"}
STEPS: list[dict[str, Any]] = [
    {"position": 1, "kind": "email", "subject_en": "Welcome {contact_name}", "body_en": "Hello {contact_name}"},
    {"position": 2, "kind": "wait", "wait_days": 7},
    {"position": 3, "kind": "exit"},
]


def enrolled(org: Any, count: int) -> Program:
    accounts = org.accounts["csm_a1"]
    for n in range(count):
        contact(accounts[n % 2], f"Contact {n}", f"p{n}@customer.test")
    program = make_program(org.admin, steps=STEPS, owner_ids=[org.csm_a1.pk])
    assert program_enrol(program=program) == count
    return program


def test_worker_runs_the_step_once_and_a_duplicate_sweep_sends_nothing(org, smtp_server):
    enrolled(org, 5)
    with running_worker(extra_env={**smtp_env(smtp_server.port), **NO_QUIET_HOURS}) as worker:
        for _sweep in range(3):  # beat and two duplicates
            program_steps_task.apply_async(queue=worker.queue)
        assert len(smtp_server.wait_for(5, timeout=60)) == 5, worker.logs()
        time.sleep(2)
    counts = Counter(str(message["To"]) for message in smtp_server.messages)
    assert len(counts) == 5 and max(counts.values()) == 1
    assert StepRun.objects.filter(outcome="sent").count() == 5
    assert set(Enrollment.objects.values_list("position", flat=True)) == {3}


def test_worker_killed_mid_delivery_loses_and_duplicates_nothing(org, monkeypatch):
    from aiosmtpd.controller import Controller

    import tests.integration.smtp as harness

    monkeypatch.setattr(harness, "smtp_env", lambda port: {**smtp_env(port), **NO_QUIET_HOURS})
    sink = SlowSmtp(delay=0.3)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        enrolled(org, 12)

        def all_queued() -> None:
            assert StepRun.objects.filter(outcome="sent").count() == 12

        kill_while_mailing_then_recover(
            job=program_steps_task, expected=12, sink=sink, port=port, all_queued=all_queued
        )
        counts = Counter(str(message["To"]) for message in sink.messages)
        assert len(counts) == 12 and max(counts.values()) == 1
        assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 12
    finally:
        controller.stop()
