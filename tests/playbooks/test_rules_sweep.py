"""Scheduled rules: the sweep fires once per (rule, account, period); conditions on any
trigger; a broken condition switches the rule off with its reason; editing bumps the
version and rewrites no task; preview and dry run read only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import TimelineEntry
from core.clock import local_day_start
from health.models import HealthScore
from playbooks.models import Playbook, PlaybookStep, Stage, Task, TaskStatus, TriggerKind
from playbooks.rules.evaluate import episode_key, rule_dry_run, rule_preview
from playbooks.rules.services import playbook_save
from playbooks.rules.sweep import rules_sweep
from playbooks.services import FireRequest, playbooks_fire
from playbooks.tasks import rules_sweep_task
from renewals.services import contract_create
from tests.factories import AccountFactory, make_person

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 2)  # a Wednesday
RESCUE = [
    {"field": "health_colour", "op": "eq", "value": "red"},
    {"field": "days_to_renewal", "op": "lte", "value": "120"},
]


def rescue_rule(**fields):
    playbook = Playbook.objects.create(
        name="Rescue plan", trigger=TriggerKind.SCHEDULE, conditions=RESCUE, active=True, **fields
    )
    for order, title in enumerate(["Call the sponsor", "Agree a plan", "Review in two weeks"]):
        PlaybookStep.objects.create(playbook=playbook, order=order, title=title, due_offset_days=order * 7)
    return playbook


@pytest.fixture
def book():
    owner = make_person(username="csm_rules")
    accounts = {}
    for name, colour, renewal_in in [("red-soon", "red", 60), ("red-late", "red", 200), ("green-soon", "green", 30)]:
        account = AccountFactory(name=name, owner=owner, arr=Decimal("50000"), go_live_date=DAY - timedelta(days=400))
        HealthScore.objects.create(
            account=account, day=DAY - timedelta(days=40), score=30 if colour == "red" else 80, colour=colour
        )
        contract_create(
            actor=owner,
            account=account,
            start_date=DAY - timedelta(days=300),
            end_date=DAY + timedelta(days=renewal_in),
            arr=Decimal("50000"),
        )
        accounts[name] = account
    Task.objects.all().delete()  # stage playbooks fired on save are not this test's
    return owner, accounts


def test_a_daily_rule_fires_once_per_day_on_the_matching_accounts(book, celery_eager):
    owner, _accounts = book
    rule = rescue_rule()
    assert rules_sweep_task(day=DAY.isoformat()) == 1
    tasks = Task.objects.filter(playbook=rule)
    assert set(tasks.values_list("account__name", flat=True)) == {"red-soon"}
    assert tasks.count() == 3
    assert set(tasks.values_list("episode_key", flat=True)) == {episode_key(rule, DAY)}
    assert set(tasks.values_list("playbook_version", flat=True)) == {1}
    assert set(tasks.values_list("assignee", flat=True)) == {owner.pk}
    assert sorted(tasks.values_list("due_date", flat=True)) == [DAY, DAY + timedelta(days=7), DAY + timedelta(days=14)]

    # The same day again: nothing sent, nothing doubled.
    assert rules_sweep_task(day=DAY.isoformat()) == 0
    assert tasks.count() == 3
    # The next day, its tasks still open: not piled up again.
    assert rules_sweep_task(day=(DAY + timedelta(days=1)).isoformat()) == 0
    # Once they are closed, a still-red account fires again the next period.
    tasks.update(status=TaskStatus.DONE)
    assert rules_sweep_task(day=(DAY + timedelta(days=2)).isoformat()) == 1
    assert Task.objects.filter(playbook=rule).count() == 6


def test_a_weekly_rule_runs_on_its_weekday_with_the_week_as_episode(book, celery_eager):
    rule = rescue_rule(schedule_weekday=DAY.weekday())
    assert rules_sweep_task(day=(DAY - timedelta(days=1)).isoformat()) == 0
    assert rules_sweep_task(day=DAY.isoformat()) == 1
    assert set(Task.objects.filter(playbook=rule).values_list("episode_key", flat=True)) == {f"rule:{rule.pk}:2026-W49"}


def test_a_chunk_re_checks_the_accounts_and_sends_nothing_twice(book):
    _owner, accounts = book
    rule = rescue_rule()
    chunks = rules_sweep(day=DAY)
    assert [c.account_ids for c in chunks] == [[accounts["red-soon"].pk]]
    from playbooks.rules.sweep import rule_fire_chunk

    chunk = chunks[0]
    assert rule_fire_chunk(playbook_id=rule.pk, account_ids=chunk.account_ids, episode=chunk.episode_key, day=DAY) == 3
    assert rule_fire_chunk(playbook_id=rule.pk, account_ids=chunk.account_ids, episode=chunk.episode_key, day=DAY) == 0
    rule.active = False
    rule.save()
    assert rule_fire_chunk(playbook_id=rule.pk, account_ids=chunk.account_ids, episode="other", day=DAY) == 0


def test_a_broken_condition_switches_the_rule_off_and_the_sweep_goes_on(book, celery_eager):
    broken = rescue_rule()
    broken.conditions = [{"field": "segment", "op": "eq", "value": "galactic"}]
    broken.save()
    working = rescue_rule()
    assert rules_sweep_task(day=DAY.isoformat()) == 1
    broken.refresh_from_db()
    assert broken.active is False
    assert "galactic" in broken.disabled_reason
    assert Task.objects.filter(playbook=working).count() == 3
    assert not Task.objects.filter(playbook=broken).exists()
    # The change is in the playbook's history.
    assert broken.history.filter(active=False).exists()


def test_conditions_narrow_a_stage_playbook_too(book):
    _owner, accounts = book
    playbook = Playbook.objects.create(
        name="Renewal window, red only", trigger=TriggerKind.STAGE_RENEWAL_WINDOW, conditions=RESCUE[:1]
    )
    PlaybookStep.objects.create(playbook=playbook, title="Escalate")
    requests = [
        FireRequest(account=a, trigger=TriggerKind.STAGE_RENEWAL_WINDOW, episode_key="stage:x", trigger_date=DAY)
        for a in accounts.values()
    ]
    playbooks_fire(requests, today=DAY)
    assert set(Task.objects.filter(playbook=playbook).values_list("account__name", flat=True)) == {
        "red-soon",
        "red-late",
    }


def test_editing_a_live_playbook_bumps_the_version_and_rewrites_no_task(book, celery_eager):
    manager = make_person("manager", username="mgr_rules")
    rule = rescue_rule()
    rules_sweep_task(day=DAY.isoformat())
    before = list(Task.objects.filter(playbook=rule).values_list("pk", "title", "due_date", "playbook_version"))
    steps = [
        {"id": s.pk, "title": f"{s.title} (v2)", "due_offset_days": s.due_offset_days, "owner_role": "csm"}
        for s in rule.steps.all()
    ]
    fields: dict[str, object] = {"name": "Rescue plan", "trigger": "schedule", "schedule_weekday": None, "segments": []}
    playbook_save(actor=manager, playbook=rule, fields=fields, conditions=RESCUE, steps=steps)
    rule.refresh_from_db()
    assert rule.version == 2
    after = list(Task.objects.filter(playbook=rule).values_list("pk", "title", "due_date", "playbook_version"))
    assert after == before
    # The edit kept the steps' ids: the same period does not fire again.
    assert rules_sweep_task(day=DAY.isoformat()) == 0
    Task.objects.filter(playbook=rule).update(status=TaskStatus.DONE)
    rules_sweep_task(day=(DAY + timedelta(days=1)).isoformat())
    new = Task.objects.filter(playbook=rule, playbook_version=2)
    assert new.count() == 3 and all(t.title.endswith("(v2)") for t in new)


def _no_writes(queries):
    return [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def test_preview_counts_the_viewers_matching_accounts_and_writes_nothing(book):
    owner, _accounts = book
    other = make_person(username="csm_other_rules")
    rule = rescue_rule()
    with CaptureQueriesContext(connection) as queries:
        preview = rule_preview(rule, user=owner, today=DAY)
    assert preview.count == 1 and [a.name for a in preview.accounts] == ["red-soon"]
    assert _no_writes(queries) == []
    assert rule_preview(rule, user=other, today=DAY).count == 0


def test_dry_run_of_a_scheduled_rule_counts_tasks_and_accounts_and_writes_nothing(book):
    owner, _accounts = book
    rule = rescue_rule()
    with CaptureQueriesContext(connection) as queries:
        run = rule_dry_run(rule, user=owner, today=DAY)
    assert _no_writes(queries) == []
    assert (run.supported, run.accounts, run.tasks) == (True, 1, 3)
    assert not Task.objects.exists()


def test_dry_run_of_a_stage_rule_reads_the_stage_history(book):
    owner, accounts = book
    playbook = Playbook.objects.create(name="Window", trigger=TriggerKind.STAGE_RENEWAL_WINDOW, conditions=RESCUE[:1])
    PlaybookStep.objects.create(playbook=playbook, title="a")
    PlaybookStep.objects.create(playbook=playbook, title="b")
    TimelineEntry.objects.filter(kind="stage_changed").delete()
    for name, days_ago in [("red-soon", 3), ("red-late", 45), ("green-soon", 5)]:
        entered = DAY - timedelta(days=days_ago)
        TimelineEntry.objects.create(
            account=accounts[name],
            kind="stage_changed",
            title="stage",
            occurred_at=local_day_start(entered),
            data={"stage": Stage.RENEWAL_WINDOW, "entered_on": entered.isoformat()},
        )
    with CaptureQueriesContext(connection) as queries:
        run = rule_dry_run(playbook, user=owner, today=DAY)
    assert _no_writes(queries) == []
    # red-late entered 45 days ago (outside the window); green-soon is not red.
    assert (run.accounts, run.tasks) == (1, 2)
    signal = Playbook.objects.create(name="Drop", trigger=TriggerKind.ACTIVITY_DROP)
    assert rule_dry_run(signal, user=owner, today=DAY).supported is False
