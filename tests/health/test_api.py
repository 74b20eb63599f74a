"""POST /api/v1/events/bulk: formats, limits, errors, auth, rate limit, schema."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from health.models import UsageEvent

from .conftest import make_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/bulk"


@pytest.fixture
def api(org):
    client = APIClient()
    token = Token.objects.create(user=org.csm_a1)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def post_json(client, payload):
    return client.post(URL, data=json.dumps(payload), content_type="application/json")


def test_json_array_is_stored(api, org):
    account = org.accounts["csm_a1"][0]
    response = post_json(api, [make_event(account, n) for n in range(3)])
    assert response.status_code == 201, response.content
    assert response.json() == {"stored": 3, "duplicates": 0}
    again = post_json(api, [make_event(account, n) for n in range(3)])
    assert again.status_code == 200
    assert again.json() == {"stored": 0, "duplicates": 3}
    assert UsageEvent.objects.count() == 3


def test_ndjson_is_stored(api, org):
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, n) for n in range(4)]
    events[0]["properties"] = {"note": "line\u2028separator"}  # legal raw inside a JSON string
    body = "\r\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n\n"
    response = api.post(URL, data=body, content_type="application/x-ndjson")
    assert response.status_code == 201, response.content
    assert response.json() == {"stored": 4, "duplicates": 0}
    assert UsageEvent.objects.get(event_id="evt-0").properties == {"note": "line\u2028separator"}


def test_ndjson_bad_line_is_reported_by_index(api, org):
    account = org.accounts["csm_a1"][0]
    body = "\n".join([json.dumps(make_event(account, 0)), "{not json", json.dumps(make_event(account, 2))])
    response = api.post(URL, data=body, content_type="application/x-ndjson")
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "")]
    assert not UsageEvent.objects.exists()


def test_invalid_events_answer_400_with_every_error(api, org):
    account = org.accounts["csm_a1"][0]
    events = [
        make_event(account, 0),
        make_event(account, 1, occurred_at="2025-06-10T09:30:00"),
        make_event(account, 2, event_name=""),
        make_event(org.accounts["csm_b1"][0], 3),
    ]
    response = post_json(api, events)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"errors"}
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "occurred_at"),
        (2, "event_name"),
        (3, "account_external_id"),
    ]
    assert all(isinstance(e["reason"], str) and e["reason"] for e in body["errors"])
    assert not UsageEvent.objects.exists()


def test_malformed_json_and_non_array(api):
    assert api.post(URL, data="[{", content_type="application/json").status_code == 400
    response = post_json(api, {"event_id": "x"})
    assert response.status_code == 400
    assert "array" in response.json()["detail"]


def test_unsupported_media_type(api):
    assert api.post(URL, data="a,b", content_type="text/csv").status_code == 415


def test_too_many_events_is_413(api, org):
    account = org.accounts["csm_a1"][0]
    events = [{"event_id": str(n)} for n in range(10_001)]
    response = post_json(api, events)
    assert response.status_code == 413
    assert "10000" in response.json()["detail"]
    assert post_json(api, [make_event(account, 0)]).status_code == 201


def test_too_many_bytes_is_413(api, org, settings):
    settings.HOURGLASS_INGEST_MAX_BYTES = 1000
    account = org.accounts["csm_a1"][0]
    events = [make_event(account, n) for n in range(10)]
    assert len(json.dumps(events)) > 1000
    response = post_json(api, events)
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    ndjson = api.post(URL, data="\n".join(json.dumps(e) for e in events), content_type="application/x-ndjson")
    assert ndjson.status_code == 413
    assert not UsageEvent.objects.exists()


def test_authentication_is_required(org):
    account = org.accounts["csm_a1"][0]
    anonymous = APIClient()
    response = anonymous.post(URL, data=json.dumps([make_event(account, 0)]), content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = bad_token.post(URL, data=json.dumps([make_event(account, 0)]), content_type="application/json")
    assert response.status_code == 401
    assert not UsageEvent.objects.exists()


def test_inactive_user_session_is_refused(client, org):
    client.force_login(org.csm_a1)
    org.csm_a1.is_active = False
    org.csm_a1.save(update_fields=["is_active"])
    response = client.post(URL, data=json.dumps([]), content_type="application/json")
    assert response.status_code == 401


def test_session_login_works_too(client, org):
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    response = client.post(URL, data=json.dumps([make_event(account, 0)]), content_type="application/json")
    assert response.status_code == 201


def test_rate_limit_per_token_answers_429_with_retry_after(api, org, settings):
    settings.HOURGLASS_INGEST_RATE = "2/min"
    account = org.accounts["csm_a1"][0]
    assert post_json(api, [make_event(account, 0)]).status_code == 201
    assert post_json(api, [make_event(account, 1)]).status_code == 201
    limited = post_json(api, [make_event(account, 2)])
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert UsageEvent.objects.count() == 2
    # Another token has its own budget.
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=org.csm_a2).key}")
    mine = org.accounts["csm_a2"][0]
    assert post_json(other, [make_event(mine, 3)]).status_code == 201


def test_schema_describes_the_endpoint(client, org):
    client.force_login(org.admin)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    operation = response.json()["paths"][URL]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
    assert {"200", "201", "400", "413", "429"} <= set(operation["responses"])
    assert "Retry-After" in operation["description"]
