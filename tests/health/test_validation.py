"""The one event validator: what it accepts (with which values), what it refuses (with
which field), and the API schema it publishes from the same limits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from health.validation import (
    ACCOUNT_EXTERNAL_ID_MAX_LENGTH,
    EVENT_FIELDS,
    MAX_FUTURE,
    event_schema,
    events_validate,
)

NOW = timezone.now()
BASE = {
    "account_id": 7,
    "occurred_at": "2025-06-10T09:30:00+08:00",
    "event_name": "report.viewed",
    "user_id": "u1",
    "quantity": 1,
    "properties": {"a": 1},
    "event_id": "e1",
}
# (change to BASE, the fields it makes invalid)
CASES = [
    ({}, []),
    ({"quantity": "12.5"}, []),
    ({"quantity": " 3 "}, []),
    ({"quantity": 2.25}, []),
    ({"quantity": "0.0000001"}, ["quantity"]),
    ({"quantity": "-1"}, ["quantity"]),
    ({"quantity": "1e30"}, ["quantity"]),
    ({"quantity": "nan"}, ["quantity"]),
    ({"quantity": "inf"}, ["quantity"]),
    ({"quantity": float("nan")}, ["quantity"]),
    ({"quantity": True}, ["quantity"]),
    ({"quantity": ""}, []),
    ({"quantity": None}, []),
    ({"quantity": 10**14}, ["quantity"]),
    ({"user_id": None}, []),
    ({"user_id": "   "}, []),
    ({"user_id": 42}, []),
    ({"user_id": "x" * 256}, ["user_id"]),
    ({"event_name": "  "}, ["event_name"]),
    ({"event_name": "x" * 101}, ["event_name"]),
    ({"event_id": 5}, []),
    ({"account_id": True}, ["account_id"]),
    ({"account_id": "7"}, []),
    ({"account_id": 0}, ["account_id"]),
    ({"account_id": 2**63}, ["account_id"]),
    ({"account_id": None, "account_external_id": " ext-1 "}, []),
    ({"account_id": "", "account_external_id": "ext-1"}, []),
    ({"account_external_id": "ext-1"}, ["account_id"]),
    ({"account_id": None, "account_external_id": 12}, []),
    ({"account_id": None, "account_external_id": "x" * 101}, ["account_external_id"]),
    ({"occurred_at": "2025-06-10T09:30:00"}, ["occurred_at"]),
    ({"occurred_at": "2025-06-10"}, ["occurred_at"]),
    ({"occurred_at": "yesterday"}, ["occurred_at"]),
    ({"occurred_at": 1718000000}, ["occurred_at"]),
    ({"occurred_at": " " + (NOW + timedelta(days=3)).isoformat()}, ["occurred_at"]),
    ({"occurred_at": (NOW + timedelta(hours=23)).isoformat()}, []),
    ({"occurred_at": (NOW + timedelta(hours=25)).isoformat()}, ["occurred_at"]),
    (
        {
            "occurred_at": (NOW + timedelta(days=1, hours=1))
            .astimezone(timezone.get_fixed_timezone(-23 * 60))
            .isoformat()
        },
        ["occurred_at"],
    ),
    ({"occurred_at": (NOW + timedelta(days=1, hours=1)).strftime("%Y%m%dT%H%M%S+0000")}, ["occurred_at"]),
    ({"properties": None}, []),
    ({"properties": []}, ["properties"]),
    ({"extra": 1}, ["extra"]),
]


@pytest.fixture
def account(org):
    return org.accounts["csm_a1"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "fields"), CASES, ids=[repr(case[0])[:60] for case in CASES])
def test_each_field_rule(org, account, change, fields):
    raw = {**BASE, **change}
    if raw.get("account_id") == 7:
        raw["account_id"] = account.pk
    elif raw.get("account_id") == "7":
        raw["account_id"] = str(account.pk)
    external_id = raw.get("account_external_id")
    if external_id not in (None, "") and len(str(external_id).strip()) <= ACCOUNT_EXTERNAL_ID_MAX_LENGTH:
        account.external_id = str(raw["account_external_id"]).strip()
        account.save(update_fields=["external_id"])
    valid, errors = events_validate(actor=org.csm_a1, events=[raw], now=NOW)
    assert [error["field"] for error in errors] == fields
    assert len(valid) == (0 if fields else 1)


@pytest.mark.django_db
def test_accepted_values_are_normalised(org, account):
    events = [
        {**BASE, "account_id": account.pk, "quantity": "12.5", "event_name": " a.b ", "user_id": None},
        {**BASE, "account_id": account.pk, "quantity": None, "properties": None, "user_id": 42},
    ]
    (first, second), errors = events_validate(actor=org.csm_a1, events=events, now=NOW)
    assert errors == []
    assert (first.quantity, first.event_name, first.customer_user_id) == (Decimal("12.5"), "a.b", "")
    assert (second.quantity, second.properties, second.customer_user_id) == (Decimal(1), {}, "42")
    assert first.occurred_at.utcoffset() == timedelta(hours=8)


@pytest.mark.django_db
def test_mixed_batch_reports_every_error_exactly(org):
    account = org.accounts["csm_a1"][0]
    events = [
        {**BASE, "account_id": account.pk},
        {**BASE, "account_id": account.pk, "quantity": "-1"},
        {**BASE, "account_id": account.pk, "occurred_at": (NOW + MAX_FUTURE + timedelta(days=2)).isoformat()},
        {**BASE, "account_id": org.accounts["csm_b1"][0].pk},
    ]
    _valid, errors = events_validate(actor=org.csm_a1, events=events, now=NOW)
    assert errors == [
        {"index": 1, "field": "quantity", "reason": "Must not be negative."},
        {"index": 2, "field": "occurred_at", "reason": "More than one day in the future."},
        {"index": 3, "field": "account_id", "reason": "No such account, or not one of yours."},
    ]


def test_schema_is_built_from_the_validators_fields():
    schema = event_schema()
    assert set(schema["properties"]) == set(EVENT_FIELDS)
    assert set(schema["required"]) == {"occurred_at", "event_name", "event_id"}
    assert schema["properties"]["event_name"]["maxLength"] == 100
    # OpenAPI 3.0 (what the schema declares): a flag beside maximum, not a number.
    assert schema["properties"]["quantity"]["exclusiveMaximum"] is True
    assert schema["additionalProperties"] is False


@pytest.mark.django_db
def test_api_schema_publishes_the_event_fields(client, org):
    client.force_login(org.admin)
    for accept in ("application/json", "application/vnd.oai.openapi"):
        assert client.get("/api/schema/", HTTP_ACCEPT=accept).status_code == 200
    body = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    request = body["paths"]["/api/v1/events/bulk"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request["type"] == "array"
    assert set(request["items"]["properties"]) == set(EVENT_FIELDS)
    assert "ISO 8601" in request["items"]["properties"]["occurred_at"]["description"]
