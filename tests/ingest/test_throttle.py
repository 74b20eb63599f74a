"""The ingest rate limit counts events per token and minute, not requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from health.models import UsageEvent
from tests.health.conftest import make_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/bulk"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def post(client: APIClient, account: Any, first: int, n: int) -> Any:
    events = [make_event(account, i) for i in range(first, first + n)]
    return client.post(URL, data=json.dumps(events), content_type="application/json")


def test_events_over_the_minute_budget_answer_429_and_store_nothing(org, settings):
    settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE = 25
    account = org.accounts["csm_a1"][0]
    api = client_for(org.csm_a1)
    assert post(api, account, 0, 10).status_code == 201
    assert post(api, account, 10, 10).status_code == 201
    refused = post(api, account, 20, 10)  # 30 > 25
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "detail" in refused.json()
    assert UsageEvent.objects.count() == 20
    # The refused batch gave its events back: 5 more still fit the minute, then none.
    assert post(api, account, 20, 5).status_code == 201
    assert post(api, account, 25, 1).status_code == 429
    assert UsageEvent.objects.count() == 25


def test_each_token_has_its_own_event_budget(org, settings):
    settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE = 10
    account_1, account_2 = org.accounts["csm_a1"][0], org.accounts["csm_a2"][0]
    first, second = client_for(org.csm_a1), client_for(org.csm_a2)
    assert post(first, account_1, 0, 10).status_code == 201
    assert post(first, account_1, 10, 1).status_code == 429
    assert post(second, account_2, 100, 10).status_code == 201
    assert UsageEvent.objects.count() == 20


def test_a_batch_larger_than_the_whole_budget_passes_alone(org, settings):
    # A budget smaller than one batch must not block a sender for good.
    settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE = 5
    account = org.accounts["csm_a1"][0]
    api = client_for(org.csm_a1)
    assert post(api, account, 0, 8).status_code == 201
    assert post(api, account, 8, 1).status_code == 429
    assert UsageEvent.objects.count() == 8


def test_the_default_lets_full_batches_through_at_server_speed(org, settings):
    # The default budget: 600 full 10,000-event batches a minute (100,000 events/s),
    # above what one server stores; and no request count unless one is configured.
    assert settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE >= 600 * settings.HOURGLASS_INGEST_MAX_EVENTS
    assert settings.HOURGLASS_INGEST_RATE == ""
    account = org.accounts["csm_a1"][0]
    api = client_for(org.csm_a1)
    answers = {post(api, account, n * 2, 2).status_code for n in range(130)}  # beyond the old 120/min
    assert answers == {201}
    assert UsageEvent.objects.count() == 260


def test_zero_means_no_event_limit(org, settings):
    settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE = 0
    account = org.accounts["csm_a1"][0]
    api = client_for(org.csm_a1)
    assert {post(api, account, n * 50, 50).status_code for n in range(3)} == {201}


def test_bad_bodies_are_answered_as_before_and_not_counted(org, settings):
    settings.HOURGLASS_INGEST_EVENTS_PER_MINUTE = 10
    settings.HOURGLASS_INGEST_MAX_EVENTS = 20
    account = org.accounts["csm_a1"][0]
    api = client_for(org.csm_a1)
    assert api.post(URL, data="{not json", content_type="application/json").status_code == 400
    assert post(api, account, 0, 21).status_code == 413
    assert post(api, account, 0, 10).status_code == 201


def test_the_deprecated_request_rate_still_applies_when_set(org, settings):
    settings.HOURGLASS_INGEST_RATE = "2/min"
    account = org.accounts["csm_a1"][0]
    api = client_for(org.csm_a1)
    assert post(api, account, 0, 1).status_code == 201
    assert post(api, account, 1, 1).status_code == 201
    assert post(api, account, 2, 1).status_code == 429
