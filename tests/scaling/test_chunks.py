"""The sweeps' chunks: claimed one worker at a time, remembered where a second run is
pure waste, and a constant number of queries whatever their size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.clock import local_date
from core.locks import chunk_claim
from health.models import HealthScore, RecalculationRun
from health.tasks import NIGHTLY_SWEEP, health_scores_dispatch, score_recompute_task
from playbooks.models import AccountStage
from playbooks.tasks import stage_refresh_task
from renewals.models import RenewalReminder
from renewals.tasks import reminder_batch_task
from tests.factories import AccountFactory, make_person
from tests.renewals.conftest import TODAY, make_renewal

pytestmark = pytest.mark.django_db


def test_a_committed_chunk_is_remembered_and_a_rolled_back_one_is_not(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), chunk_claim("chunk-a", remember_seconds=60) as first:
        assert first
    with chunk_claim("chunk-a", remember_seconds=60) as again:
        assert again is False
    with (
        pytest.raises(RuntimeError),
        django_capture_on_commit_callbacks(execute=True),
        chunk_claim("chunk-b", remember_seconds=60) as claimed,
    ):
        assert claimed
        raise RuntimeError("the worker's chunk failed")
    with django_capture_on_commit_callbacks(execute=True), chunk_claim("chunk-b", remember_seconds=60) as retried:
        assert retried  # rolled back: still to do
    # Without remember_seconds a chunk is only exclusive while it runs.
    for _ in range(2):
        with chunk_claim("chunk-c") as claimed:
            assert claimed


def test_the_nightly_chunk_delivered_twice_is_scored_once(django_capture_on_commit_callbacks):
    owner = make_person(username="csm_nightly")
    ids = [AccountFactory(owner=owner).pk for _ in range(4)]
    day = local_date().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert score_recompute_task(account_ids=ids, day=day, sweep=NIGHTLY_SWEEP) == 4
    HealthScore.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as second:
        assert score_recompute_task(account_ids=ids, day=day, sweep=NIGHTLY_SWEEP) == 0
    assert HealthScore.objects.count() == 0
    assert len(second.captured_queries) == 0  # the cache said done: not even a transaction
    # Another set of accounts, or the 15-minute sweep's chunk of the same ones, is no copy.
    with django_capture_on_commit_callbacks(execute=True):
        assert score_recompute_task(account_ids=ids, day=day) == 4
        assert score_recompute_task(account_ids=ids[:2], day=day, sweep=NIGHTLY_SWEEP) == 2


def test_a_recalculation_chunk_delivered_twice_counts_once(django_capture_on_commit_callbacks):
    owner = make_person(username="csm_recalc")
    ids = [AccountFactory(owner=owner).pk for _ in range(3)] + [AccountFactory(owner=owner).pk]
    run = RecalculationRun.objects.create(day=local_date(), total=4)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            score_recompute_task(account_ids=ids[:3], day=run.day.isoformat(), run_id=run.pk)
    run.refresh_from_db()
    assert (run.done, run.finished_at) == (3, None)  # not 4 of 4: the copy counted nothing
    with django_capture_on_commit_callbacks(execute=True):
        score_recompute_task(account_ids=ids[3:], day=run.day.isoformat(), run_id=run.pk)
    run.refresh_from_db()
    assert run.done == 4 and run.finished_at is not None


def test_the_nightly_dispatch_names_its_chunks(settings, celery_eager, django_capture_on_commit_callbacks):
    settings.HOURGLASS_HEALTH_SCORE_CHUNK = 2
    owner = make_person(username="csm_dispatch")
    for _ in range(5):
        AccountFactory(owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert health_scores_dispatch(everything=True) == 3
        assert health_scores_dispatch(everything=True) == 3  # beat's message twice
    assert HealthScore.objects.count() == 5


def _score_queries(count: int, django_capture_on_commit_callbacks) -> int:
    owner = make_person(username=f"csm_q{count}")
    ids = [AccountFactory(owner=owner).pk for _ in range(count)]
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        assert score_recompute_task(account_ids=ids, day=local_date().isoformat(), sweep=NIGHTLY_SWEEP) == count
    return len(queries.captured_queries)


def test_a_score_chunk_costs_the_same_queries_for_3_or_12_accounts(django_capture_on_commit_callbacks):
    _score_queries(1, django_capture_on_commit_callbacks)  # the default model made once
    assert _score_queries(3, django_capture_on_commit_callbacks) == _score_queries(
        12, django_capture_on_commit_callbacks
    )


def _stage_queries(count: int, django_capture_on_commit_callbacks) -> int:
    owner = make_person(username=f"csm_s{count}")
    today = local_date()
    ids = [AccountFactory(owner=owner, go_live_date=today - timedelta(days=5)).pk for _ in range(count)]
    AccountStage.objects.filter(account_id__in=ids).delete()  # the sweep writes them, not the save
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        assert stage_refresh_task(first_id=min(ids), last_id=max(ids), day=today.isoformat()) == count
    return len(queries.captured_queries)


def test_a_stage_chunk_costs_the_same_queries_for_3_or_12_accounts(
    default_playbooks, django_capture_on_commit_callbacks
):
    _stage_queries(1, django_capture_on_commit_callbacks)
    assert _stage_queries(3, django_capture_on_commit_callbacks) == _stage_queries(
        12, django_capture_on_commit_callbacks
    )


def _reminder_queries(count: int, owner, django_capture_on_commit_callbacks) -> int:
    renewals = [make_renewal(owner, days_left=30) for _ in range(count)]
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        queued = reminder_batch_task(renewal_ids=[r.pk for r in renewals], today=TODAY.isoformat(), audience="csm")
    assert queued == count
    return len(queries.captured_queries)


def test_a_reminder_batch_costs_the_same_queries_for_2_or_8_renewals(org, django_capture_on_commit_callbacks):
    _reminder_queries(1, org.csm_a1, django_capture_on_commit_callbacks)
    assert _reminder_queries(2, org.csm_a1, django_capture_on_commit_callbacks) == _reminder_queries(
        8, org.csm_a1, django_capture_on_commit_callbacks
    )
    assert RenewalReminder.objects.count() == 11
