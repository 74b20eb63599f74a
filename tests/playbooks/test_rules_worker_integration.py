"""The scheduled rules' sweep on a real Celery worker, run twice: each matching account's
tasks are created once, in chunks, and the second run sends nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.clock import local_date
from health.models import HealthScore
from playbooks.models import Playbook, PlaybookStep, Task, TriggerKind
from playbooks.tasks import rules_sweep_task
from renewals.services import contract_create
from tests.factories import AccountFactory, make_person
from tests.integration.workers import running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_rules_sweep_twice_on_a_real_worker_fires_once():
    today = local_date()
    owner = make_person(username="csm_rules_worker")
    matching = []
    for number in range(6):
        colour = "red" if number < 5 else "green"
        account = AccountFactory(owner=owner, arr=Decimal("40000"), go_live_date=today - timedelta(days=500))
        HealthScore.objects.create(account=account, day=today, score=20, colour=colour)
        renewal_in = 90 if number != 4 else 300  # the fifth red account renews too late
        contract_create(
            actor=owner,
            account=account,
            start_date=today - timedelta(days=200),
            end_date=today + timedelta(days=renewal_in),
            arr=Decimal("40000"),
        )
        if number < 4:
            matching.append(account.pk)
    Task.objects.all().delete()
    rule = Playbook.objects.create(
        name="Rescue plan",
        trigger=TriggerKind.SCHEDULE,
        active=True,
        conditions=[
            {"field": "health_colour", "op": "eq", "value": "red"},
            {"field": "days_to_renewal", "op": "lte", "value": "120"},
        ],
    )
    for order in range(3):
        PlaybookStep.objects.create(playbook=rule, order=order, title=f"Step {order + 1}")

    with running_worker() as worker:
        rules_sweep_task.apply_async(kwargs={"day": today.isoformat(), "chunk_size": 2}, queue=worker.queue)
        assert wait_for(lambda: worker.task_count("playbooks.rule_fire_chunk_task") == 2), worker.logs()
        made = sorted(Task.objects.filter(playbook=rule).values_list("pk", flat=True))
        rules_sweep_task.apply_async(kwargs={"day": today.isoformat(), "chunk_size": 2}, queue=worker.queue)
        assert wait_for(lambda: worker.task_count("playbooks.rules_sweep_task") == 2), worker.logs()

    assert len(made) == 12
    assert sorted(set(Task.objects.filter(playbook=rule).values_list("account_id", flat=True))) == sorted(matching)
    assert sorted(Task.objects.filter(playbook=rule).values_list("pk", flat=True)) == made
    assert worker.task_count("playbooks.rule_fire_chunk_task") == 2
