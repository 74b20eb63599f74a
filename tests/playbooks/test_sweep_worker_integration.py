"""The daily stage/playbook sweep on a real Celery worker, run twice: tasks created once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from accounts.models import TimelineEntry
from core.clock import local_date
from playbooks.models import AccountStage, Stage, Task, TaskStatus, TriggerKind
from playbooks.tasks import stage_sweep_task
from tests.factories import AccountFactory, make_person
from tests.integration.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ACCOUNTS = 12
CHUNK = 4  # three chunk tasks per sweep


def wait_for(predicate, worker, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker did not finish in time:\n{worker.logs()}")


def snooze_markers(today):
    """Each account gets a task snoozed until today: every chunk task wakes its own, so
    "no snoozed task left" tells that all chunks of a sweep ran."""
    Task.objects.filter(trigger=TriggerKind.MANUAL).update(status=TaskStatus.SNOOZED, snoozed_until=today)


def test_daily_sweep_twice_on_a_real_worker_creates_tasks_once(default_playbooks):
    today = local_date()
    owner = make_person(username="csm_sweep")
    ages = [5, 45, 200]  # promotion month, stabilisation, steady
    accounts = [AccountFactory(owner=owner, go_live_date=today - timedelta(days=ages[i % 3])) for i in range(ACCOUNTS)]
    # Saving the accounts does not refresh them here: no worker was listening yet and the
    # stage rows are what the sweep must write.
    AccountStage.objects.all().delete()
    Task.objects.all().delete()
    TimelineEntry.objects.filter(kind="stage_changed").delete()
    for account in accounts:
        Task.objects.create(account=account, assignee=owner, title="marker", due_date=today)
    snooze_markers(today)

    def sweep_finished() -> bool:
        return not Task.objects.filter(status=TaskStatus.SNOOZED).exists()

    with running_worker(extra_env={"HOURGLASS_STAGE_SWEEP_CHUNK": str(CHUNK)}) as worker:
        stage_sweep_task.apply_async(queue=worker.queue)
        wait_for(sweep_finished, worker)
        stages = dict(AccountStage.objects.values_list("account_id", "stage"))
        made = set(Task.objects.exclude(trigger=TriggerKind.MANUAL).values_list("pk", flat=True))
        entries = TimelineEntry.objects.filter(kind="stage_changed").count()

        snooze_markers(today)
        stage_sweep_task.apply_async(queue=worker.queue)
        wait_for(sweep_finished, worker)

    assert len(stages) == ACCOUNTS
    assert {stages[a.pk] for a in accounts[0::3]} == {Stage.PROMOTION}
    assert {stages[a.pk] for a in accounts[1::3]} == {Stage.STABILISATION}
    assert {stages[a.pk] for a in accounts[2::3]} == {Stage.STEADY}
    assert entries == ACCOUNTS
    # The accounts entering a stage got its playbook's tasks ...
    promotion_steps = default_playbooks["promotion-month"].steps.count()
    for account in accounts[0::3]:
        assert Task.objects.filter(account=account, trigger=TriggerKind.STAGE_PROMOTION).count() == promotion_steps
    stabilisation_steps = default_playbooks["stabilisation"].steps.count()
    for account in accounts[1::3]:
        assert (
            Task.objects.filter(account=account, trigger=TriggerKind.STAGE_STABILISATION).count() == stabilisation_steps
        )
    # ... and the second sweep created nothing: the same tasks, the same timeline.
    assert set(Task.objects.exclude(trigger=TriggerKind.MANUAL).values_list("pk", flat=True)) == made
    assert TimelineEntry.objects.filter(kind="stage_changed").count() == ACCOUNTS
    assert dict(AccountStage.objects.values_list("account_id", "stage")) == stages
