"""Event → score: the debounced rescore requests behind a rollup (issue 22, item 1)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import PurchasedProduct
from health.models import DailyRollup, HealthScore, ScoreRequest
from health.monitoring import rescore_waiting_since
from health.rescore import score_requests_add, score_requests_run
from health.services import events_ingest, rollups_recompute
from health.tasks import rollup_accounts_days_task, score_requests_task
from tests.factories import AccountFactory
from tests.health.conftest import make_event

from .conftest import ZONE

pytestmark = pytest.mark.django_db


def test_many_batches_for_one_account_send_one_rescore(org):
    account = org.accounts["csm_a1"][0]
    tokens = [score_requests_add(account_ids=[account.pk]) for _ in range(25)]
    sent = [batch for batch in tokens if batch]
    assert len(sent) == 1  # one task for 25 batches
    [request] = ScoreRequest.objects.all()
    assert request.token == sent[0][0]
    assert score_requests_run(token=request.token) == 1
    assert HealthScore.objects.filter(account=account).count() == 1
    # The message delivered twice: nothing left to take, nothing written.
    assert score_requests_run(token=request.token) == 0
    # The next batch after the rescore asks again.
    assert len(score_requests_add(account_ids=[account.pk])) == 1


def test_a_batch_joins_the_waiting_request_of_its_accounts_and_adds_the_new_ones(org):
    first, second = org.accounts["csm_a1"][:2]
    [token] = score_requests_add(account_ids=[first.pk])
    [other] = score_requests_add(account_ids=[first.pk, second.pk])
    assert dict(ScoreRequest.objects.values_list("account_id", "token")) == {first.pk: token, second.pk: other}
    assert score_requests_run(token=other) == 1
    assert score_requests_run(token=token) == 1
    assert set(HealthScore.objects.values_list("account_id", flat=True)) == {first.pk, second.pk}


def test_a_request_whose_task_was_lost_is_taken_over(org, settings):
    account = org.accounts["csm_a1"][0]
    [lost] = score_requests_add(account_ids=[account.pk])
    stale = timedelta(seconds=settings.HOURGLASS_HEALTH_RESCORE_STALE_SECONDS + 1)
    ScoreRequest.objects.update(requested_at=timezone.now() - stale)
    [taken] = score_requests_add(account_ids=[account.pk])
    assert taken != lost
    assert score_requests_run(token=lost) == 0
    assert score_requests_run(token=taken) == 1


def test_requests_are_chunked(org, settings):
    settings.HOURGLASS_HEALTH_SCORE_CHUNK = 2
    accounts = AccountFactory.create_batch(5, owner=org.csm_a1)
    tokens = score_requests_add(account_ids=[account.pk for account in accounts])
    assert len(tokens) == 3
    assert sorted(ScoreRequest.objects.filter(token=token).count() for token in tokens) == [1, 2, 2]
    assert sum(score_requests_task(token=token) for token in tokens) == 5


def test_the_rollup_task_requests_the_rescore_and_the_score_moves(org):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=4)
    today = timezone.localdate()
    score_requests_run(token=score_requests_add(account_ids=[account.pk])[0])
    before = HealthScore.objects.get(account=account, day=today)
    assert before.score is None  # no usage yet: not enough data
    now = timezone.now()
    events = [make_event(account, n, occurred_at=now.isoformat(), user_id=f"u{n % 4}") for n in range(8)]
    events_ingest(actor=org.csm_a1, events=events)  # in the test's transaction: no on_commit
    rollup_accounts_days_task(pairs=[[account.pk, today.isoformat()]])
    [request] = ScoreRequest.objects.filter(account=account)
    assert score_requests_task(token=request.token) == 1
    after = HealthScore.objects.get(account=account, day=today)
    activity = {m["key"]: m["value"] for m in after.measures}["activity_rate_7d"]
    assert after.score is not None and after.colour
    assert activity == pytest.approx(4 / 7 / 4)  # 4 users today, over 7 days, of 4 seats


def test_rollups_keep_the_days_first_and_last_event(org):
    account = org.accounts["csm_a1"][0]
    times = ["2025-06-10T08:05:00+08:00", "2025-06-10T21:40:00+08:00", "2025-06-10T12:00:00+08:00"]
    events_ingest(actor=org.csm_a1, events=[make_event(account, n, occurred_at=t) for n, t in enumerate(times)])
    rollups_recompute(pairs=[(account.pk, datetime(2025, 6, 10).date())])
    row = DailyRollup.objects.get(account=account)
    assert row.first_event_at == datetime(2025, 6, 10, 8, 5, tzinfo=ZONE)
    assert row.last_event_at == datetime(2025, 6, 10, 21, 40, tzinfo=ZONE)


def test_monitoring_reads_the_oldest_waiting_request(org):
    first, second = org.accounts["csm_a1"][:2]
    assert rescore_waiting_since() is None
    [token] = score_requests_add(account_ids=[first.pk])
    oldest = ScoreRequest.objects.get().requested_at
    ScoreRequest.objects.create(account=second, token="later", requested_at=oldest + timedelta(seconds=3))
    assert rescore_waiting_since() == oldest
    score_requests_run(token=token)
    assert rescore_waiting_since() == oldest + timedelta(seconds=3)
