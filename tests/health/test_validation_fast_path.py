"""The validation fast path accepts only what the careful path accepts, with the same
values; everything else falls through to the careful path and its exact messages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from health.validation import MAX_FUTURE, _check_one, _fast_check, events_validate

NOW = timezone.now()
LIMIT = NOW + MAX_FUTURE
SAFE_BEFORE = (LIMIT - timedelta(days=2)).date().isoformat()
BASE = {
    "account_id": 7,
    "occurred_at": "2025-06-10T09:30:00+08:00",
    "event_name": "report.viewed",
    "user_id": "u1",
    "quantity": 1,
    "properties": {"a": 1},
    "event_id": "e1",
}
VARIANTS = [
    {},
    {"quantity": "12.5"},
    {"quantity": " 3 "},
    {"quantity": 2.25},
    {"quantity": "0.0000001"},
    {"quantity": "-1"},
    {"quantity": "1e30"},
    {"quantity": "nan"},
    {"quantity": "inf"},
    {"quantity": float("nan")},
    {"quantity": True},
    {"quantity": ""},
    {"quantity": None},
    {"quantity": 10**14},
    {"user_id": None},
    {"user_id": "   "},
    {"user_id": 42},
    {"user_id": "x" * 256},
    {"event_name": "  "},
    {"event_name": "x" * 101},
    {"event_id": 5},
    {"account_id": True},
    {"account_id": "7"},
    {"account_id": 0},
    {"account_id": 2**63},
    {"account_id": None, "account_external_id": " ext-1 "},
    {"account_id": "", "account_external_id": "ext-1"},
    {"account_external_id": "ext-1"},
    {"account_id": None, "account_external_id": 12},
    {"account_id": None, "account_external_id": "x" * 101},
    {"occurred_at": "2025-06-10T09:30:00"},
    {"occurred_at": "2025-06-10"},
    {"occurred_at": "yesterday"},
    {"occurred_at": 1718000000},
    {"occurred_at": " " + (NOW + timedelta(days=3)).isoformat()},
    {"occurred_at": (NOW + timedelta(hours=23)).isoformat()},
    {"occurred_at": (NOW + timedelta(hours=25)).isoformat()},
    {"occurred_at": (NOW + timedelta(days=1, hours=1)).astimezone(timezone.get_fixed_timezone(-23 * 60)).isoformat()},
    {"occurred_at": (NOW + timedelta(days=1, hours=1)).strftime("%Y%m%dT%H%M%S+0000")},
    {"properties": None},
    {"properties": []},
    {"extra": 1},
]


@pytest.mark.parametrize("change", VARIANTS, ids=[repr(v)[:60] for v in VARIANTS])
def test_fast_path_agrees_with_the_careful_path(change):
    raw = {**BASE, **change}
    careful, errors = _check_one(raw, now=NOW)
    fast = _fast_check(raw, LIMIT, SAFE_BEFORE)
    if errors:
        assert fast is None  # an invalid event always gets the careful path's messages
    elif fast is not None:
        assert fast.values == careful.values
        assert fast.account_ref == careful.account_ref


def test_fast_path_takes_plain_valid_events():
    assert _fast_check(dict(BASE), LIMIT, SAFE_BEFORE) is not None
    fast = _fast_check({**BASE, "quantity": "12.5"}, LIMIT, SAFE_BEFORE)
    assert fast is not None and fast.values["quantity"] == Decimal("12.5")


@pytest.mark.django_db
def test_mixed_batch_reports_every_error_exactly(org):
    account = org.accounts["csm_a1"][0]
    events = [
        {**BASE, "account_id": account.pk},
        {**BASE, "account_id": account.pk, "quantity": "-1"},
        {**BASE, "account_id": account.pk, "occurred_at": (NOW + timedelta(days=3)).isoformat()},
        {**BASE, "account_id": org.accounts["csm_b1"][0].pk},
    ]
    _valid, errors = events_validate(actor=org.csm_a1, events=events, now=NOW)
    assert errors == [
        {"index": 1, "field": "quantity", "reason": "Must not be negative."},
        {"index": 2, "field": "occurred_at", "reason": "More than one day in the future."},
        {"index": 3, "field": "account_id", "reason": "No such account, or not one of yours."},
    ]
