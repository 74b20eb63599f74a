"""The daily stage/playbook sweep on a real worker, SIGKILLed mid-run, then run again.

The sweep fans out in chunks (``HOURGLASS_STAGE_SWEEP_CHUNK``), each chunk one
transaction. The worker is killed once some chunks have committed their stages,
timeline entries and playbook tasks and others have not; a fresh worker then runs the
whole sweep again. Every due task must exist exactly once and every stage change must
have exactly one timeline entry: the chunks that committed before the kill add nothing
the second time, the ones that did not are done in full.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from accounts.models import Account, TimelineEntry
from core.clock import local_date
from playbooks.models import AccountStage, Playbook, Stage, Task, TaskStatus, TriggerKind
from playbooks.tasks import stage_sweep_task
from tests.factories import AccountFactory, make_person
from tests.integration.smtp import kill_worker
from tests.integration.workers import running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ACCOUNTS = 240
CHUNK = 2  # 120 chunk tasks: the kill lands with many done and many still to do
AGES = {5: Stage.PROMOTION, 45: Stage.STABILISATION, 200: Stage.STEADY}  # days since go-live
# The stage playbooks each stage fires, plus the quarterly report of mid-market
# accounts (the factory's ARR) past promotion month.
STAGE_DUE = {
    Stage.PROMOTION: [TriggerKind.STAGE_PROMOTION],
    Stage.STABILISATION: [TriggerKind.STAGE_STABILISATION, TriggerKind.EXEC_REPORT_QUARTERLY],
    Stage.STEADY: [TriggerKind.STAGE_STEADY, TriggerKind.EXEC_REPORT_QUARTERLY],
}


def steps_of(trigger: str) -> int:
    return sum(p.steps.count() for p in Playbook.objects.filter(trigger=trigger, active=True))


def expected_tasks(accounts: list[Account], stages: dict[int, str]) -> Counter[tuple[int, str]]:
    """(account id, trigger) -> how many tasks the sweep must leave for it."""
    expected: Counter[tuple[int, str]] = Counter()
    for account in accounts:
        for trigger in STAGE_DUE[Stage(stages[account.pk])]:
            if steps_of(trigger):
                expected[(account.pk, trigger)] = steps_of(trigger)
    return expected


def fired_tasks() -> Counter[tuple[int, str]]:
    return Counter(Task.objects.exclude(trigger=TriggerKind.MANUAL).values_list("account_id", "trigger"))


def snooze_markers(today):
    """Each account has a marker task snoozed until today: every chunk task wakes its
    own accounts' markers last, so "no snoozed marker left" tells a sweep is complete."""
    Task.objects.filter(trigger=TriggerKind.MANUAL).update(status=TaskStatus.SNOOZED, snoozed_until=today)


def sweep_finished() -> bool:
    return not Task.objects.filter(status=TaskStatus.SNOOZED).exists()


def test_sweep_killed_mid_run_then_rerun_creates_every_due_task_once(default_playbooks):
    today = local_date()
    owner = make_person(username="csm_sweep_kill")
    ages = list(AGES)
    # In bulk: saving one by one would queue a stage refresh per account.
    accounts = Account.objects.bulk_create(
        [
            AccountFactory.build(owner=owner, name=f"Sweep {i:03d}", go_live_date=today - timedelta(days=ages[i % 3]))
            for i in range(ACCOUNTS)
        ]
    )
    stages = {a.pk: AGES[ages[i % 3]] for i, a in enumerate(accounts)}
    expected = expected_tasks(accounts, stages)
    total = sum(expected.values())
    assert total > ACCOUNTS  # every account is due at least one task
    assert not AccountStage.objects.exists() and not fired_tasks()
    Task.objects.bulk_create([Task(account=a, assignee=owner, title="marker", due_date=today) for a in accounts])
    snooze_markers(today)
    env = {"HOURGLASS_STAGE_SWEEP_CHUNK": str(CHUNK)}

    with running_worker(extra_env=env) as worker:
        stage_sweep_task.apply_async(queue=worker.queue)
        caught = wait_for(lambda: Task.objects.exclude(trigger=TriggerKind.MANUAL).count() >= total // 4, 120, 0.05)
        assert caught, worker.logs()
        kill_worker(worker.process.pid)
        worker.process.wait(timeout=10)

    # Killed mid-run: some chunks committed, not all.
    done_before = sum(fired_tasks().values())
    staged_before = AccountStage.objects.count()
    assert total // 4 <= done_before < total, worker.logs()
    assert 0 < staged_before < ACCOUNTS
    assert TimelineEntry.objects.filter(kind="stage_changed").count() == staged_before

    snooze_markers(today)
    with running_worker(extra_env=env) as worker:
        stage_sweep_task.apply_async(queue=worker.queue)
        assert wait_for(sweep_finished, timeout=240), worker.logs()

    # Every account has its stage, entered once, with one timeline entry.
    assert dict(AccountStage.objects.values_list("account_id", "stage")) == stages
    entries = Counter(TimelineEntry.objects.filter(kind="stage_changed").values_list("account_id", flat=True))
    assert entries == Counter({a.pk: 1 for a in accounts})
    # Every due task exists exactly once: per account and trigger the playbooks' step
    # count, and no step twice in an episode.
    assert fired_tasks() == expected
    per_step = Counter(Task.objects.exclude(step=None).values_list("account_id", "step_id", "episode_key"))
    assert len(per_step) == total and max(per_step.values()) == 1
    assert Task.objects.filter(trigger=TriggerKind.MANUAL).count() == ACCOUNTS  # the markers, untouched
