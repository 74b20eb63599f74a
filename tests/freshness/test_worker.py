"""Event → score on a real Celery worker: ingest through the API, no sweep (issue 22)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import PurchasedProduct
from health.models import HealthScore, ScoreRequest
from health.scoring import health_scores_compute
from tests.health.conftest import make_event
from tests.integration.workers import running_worker, tasks_routed_to, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/events/bulk"


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def activity(score: HealthScore) -> float | None:
    return {m["key"]: m["value"] for m in score.measures}["activity_rate_7d"]


def batch(account, users: range, *, first_id: int) -> str:
    now = timezone.now().isoformat()
    events = [make_event(account, first_id + n, occurred_at=now, user_id=f"u{user}") for n, user in enumerate(users)]
    return json.dumps(events)


def test_ingest_through_the_api_moves_the_score_without_the_sweep(org):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=4)
    health_scores_compute(account_ids=[account.pk])
    before = HealthScore.objects.get(account=account, day=timezone.localdate())
    assert before.score is None and activity(before) is None
    client = api_for(org.csm_a1)
    with (
        running_worker(extra_env={"HOURGLASS_HEALTH_RESCORE_DELAY": "1"}) as worker,
        tasks_routed_to("health.*", worker.queue),
    ):
        response = client.post(URL, data=batch(account, range(4), first_id=0), content_type="application/json")
        assert response.status_code == 201, response.content
        moved = wait_for(lambda: HealthScore.objects.get(pk=before.pk).computed_at > before.computed_at, timeout=60)
        assert moved, worker.logs()
        assert wait_for(lambda: worker.task_count("health.score_requests_task") == 1), worker.logs()
        assert worker.task_count("health.score_recent_accounts_task", "received") == 0
    after = HealthScore.objects.get(pk=before.pk)
    assert activity(after) == pytest.approx(4 / 7 / 4)
    assert after.score is not None and after.colour
    assert not ScoreRequest.objects.exists()


def test_a_stream_of_batches_for_one_account_is_rescored_a_bounded_number_of_times(org):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=12)
    client = api_for(org.csm_a1)
    batches = 12
    with (
        running_worker(extra_env={"HOURGLASS_HEALTH_RESCORE_DELAY": "10"}) as worker,
        tasks_routed_to("health.*", worker.queue),
    ):
        for n in range(batches):  # a new user in every batch: the score shows them all
            body = batch(account, range(n, n + 1), first_id=10 * n)
            assert client.post(URL, data=body, content_type="application/json").status_code == 201

        def scored_all() -> bool:
            score = HealthScore.objects.filter(account=account, day=timezone.localdate()).first()
            return score is not None and activity(score) == pytest.approx(batches / 7 / 12)

        assert wait_for(scored_all, timeout=90), worker.logs()
        assert wait_for(lambda: worker.task_count("health.rollup_accounts_days_task") == batches), worker.logs()
        assert wait_for(lambda: not ScoreRequest.objects.exists()), worker.logs()
        rescores = worker.task_count("health.score_requests_task")
        writes = worker.log_path.read_text().count("rescored 1 accounts after new usage")
    # 12 batches, 12 rollups, and the rescores coalesced: one per 10-second delay at most.
    assert 1 <= writes == rescores <= 3, worker.logs()
