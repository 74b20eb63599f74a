"""Saving accounts' dates refreshes their stage right after commit, once per transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.db import transaction

from core.clock import local_date
from playbooks.models import AccountStage, Stage
from tests.factories import AccountFactory, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def refresh_runs():
    """The ``account_ids`` of every stage refresh task run (Celery's own signal)."""
    runs: list[list[int]] = []

    def record(sender=None, kwargs=None, **extra):
        if sender is not None and sender.name == "playbooks.stage_refresh_task":
            runs.append(list((kwargs or {}).get("account_ids", [])))

    task_prerun.connect(record, weak=False)
    yield runs
    task_prerun.disconnect(record)


def test_one_refresh_for_many_saves_in_one_transaction(celery_eager, django_capture_on_commit_callbacks, refresh_runs):
    owner = make_person(username="csm")
    accounts = [AccountFactory(owner=owner, go_live_date=None) for _ in range(25)]
    today = local_date()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i, account in enumerate(accounts):
            account.go_live_date = today - timedelta(days=40 if i % 2 else 5)
            account.save()
            account.save()  # saved twice: still one refresh
    assert len(refresh_runs) == 1
    assert set(refresh_runs[0]) >= {a.pk for a in accounts}
    stages = dict(AccountStage.objects.filter(account__in=accounts).values_list("account_id", "stage"))
    assert {stages[a.pk] for a in accounts[1::2]} == {Stage.STABILISATION}
    assert {stages[a.pk] for a in accounts[::2]} == {Stage.PROMOTION}


def test_each_transaction_gets_its_own_refresh(celery_eager, django_capture_on_commit_callbacks, refresh_runs):
    owner = make_person(username="csm")
    with django_capture_on_commit_callbacks(execute=True):
        first, second = AccountFactory(owner=owner), AccountFactory(owner=owner)
    refresh_runs.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first.go_live_date = local_date() - timedelta(days=1)
        first.save()
    with django_capture_on_commit_callbacks(execute=True):
        second.go_live_date = local_date() - timedelta(days=100)
        second.save()
    assert refresh_runs == [[first.pk], [second.pk]]
    assert AccountStage.objects.get(account=first).stage == Stage.PROMOTION
    assert AccountStage.objects.get(account=second).stage == Stage.STEADY


def test_rolled_back_savepoint_drops_its_accounts(celery_eager, django_capture_on_commit_callbacks, refresh_runs):
    owner = make_person(username="csm")
    with django_capture_on_commit_callbacks(execute=True):
        kept, dropped = AccountFactory(owner=owner), AccountFactory(owner=owner)
    refresh_runs.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                dropped.go_live_date = local_date()
                dropped.save()
                raise RuntimeError("the import row failed")
        except RuntimeError:
            pass
        kept.go_live_date = local_date()
        kept.save()
    assert refresh_runs == [[kept.pk]]


def test_saves_that_touch_no_stage_field_queue_nothing(celery_eager, django_capture_on_commit_callbacks, refresh_runs):
    with django_capture_on_commit_callbacks(execute=True):
        account = AccountFactory(owner=make_person(username="csm"))
    refresh_runs.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account.dossier_score = 50
        account.save(update_fields=["dossier_score"])
    assert refresh_runs == []


def test_a_rolled_back_transaction_leaves_nothing_for_the_next(
    celery_eager, django_capture_on_commit_callbacks, refresh_runs
):
    owner = make_person(username="csm")
    with django_capture_on_commit_callbacks(execute=True):
        kept, dropped = AccountFactory(owner=owner), AccountFactory(owner=owner)
    refresh_runs.clear()
    try:
        with transaction.atomic():
            dropped.go_live_date = local_date()
            dropped.save()
            raise RuntimeError("the whole import failed")
    except RuntimeError:
        pass
    with django_capture_on_commit_callbacks(execute=True):
        kept.go_live_date = local_date()
        kept.save()
    assert refresh_runs == [[kept.pk]]
