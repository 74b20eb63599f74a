"""A replayed batch is recognised by one indexed query and skips the rest of the work."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from health.models import UsageEvent
from health.services import IngestResult, IngestValidationError, events_ingest
from health.validation import events_check
from tests.health.conftest import make_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/bulk"


def api_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def post(client: APIClient, events: list[dict[str, Any]]) -> Any:
    return client.post(URL, data=json.dumps(events), content_type="application/json")


@pytest.mark.parametrize("size", [1, 300])
def test_a_replay_writes_nothing_and_its_queries_do_not_grow_with_the_batch(org, size):
    account = org.accounts["csm_a1"][0]
    api = api_for(org.csm_a1)
    events = [make_event(account, n) for n in range(size)]
    assert post(api, events).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        replay = post(api, events)
    assert (replay.status_code, replay.json()) == (200, {"stored": 0, "duplicates": size})
    statements = [query["sql"].lstrip().split()[0].upper() for query in queries.captured_queries]
    # Reads only (the token and its user, the accounts, the stored keys), as many for
    # 1 event as for 300: no COPY, no staging table, no INSERT.
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")] == ["SELECT"] * 4
    assert UsageEvent.objects.count() == size


def test_a_partial_replay_stores_the_new_events_and_counts_the_rest(org):
    account = org.accounts["csm_a1"][0]
    first = [make_event(account, n) for n in range(5)]
    assert events_ingest(actor=org.csm_a1, events=first) == IngestResult(stored=5, duplicates=0)
    mixed = [*first[:3], make_event(account, 10), make_event(account, 10), make_event(account, 11)]
    assert events_ingest(actor=org.csm_a1, events=mixed) == IngestResult(stored=2, duplicates=4)
    assert UsageEvent.objects.count() == 7


def test_errors_of_new_events_keep_their_positions_around_stored_ones(org):
    account = org.accounts["csm_a1"][0]
    events_ingest(actor=org.csm_a1, events=[make_event(account, 0)])
    batch = [make_event(account, 0), make_event(account, 1, quantity="lots"), make_event(account, 2)]
    with pytest.raises(IngestValidationError) as caught:
        events_ingest(actor=org.csm_a1, events=batch)
    assert [(e["index"], e["field"]) for e in caught.value.errors] == [(1, "quantity")]
    assert UsageEvent.objects.count() == 1


def test_a_stored_key_is_a_duplicate_whatever_else_the_replay_carries(org):
    # The stored event wins, as for any duplicate: its other fields are not checked again.
    account = org.accounts["csm_a1"][0]
    events_ingest(actor=org.csm_a1, events=[make_event(account, 0)])
    changed = make_event(account, 0, quantity="lots", event_name="")
    assert events_ingest(actor=org.csm_a1, events=[changed]) == IngestResult(stored=0, duplicates=1)
    assert UsageEvent.objects.get().quantity == 1


def test_the_pre_check_never_looks_outside_the_callers_scope(org):
    # Another CSM's stored event: replaying its key is refused like any out-of-scope
    # account, so the answer does not reveal that it is stored.
    theirs = org.accounts["csm_a2"][0]
    events_ingest(actor=org.csm_a2, events=[make_event(theirs, 0)])
    with pytest.raises(IngestValidationError) as caught:
        events_ingest(actor=org.csm_a1, events=[make_event(theirs, 0)])
    assert [(e["index"], e["field"]) for e in caught.value.errors] == [(0, "account_external_id")]


def test_the_import_dry_run_still_checks_stored_events_in_full(org):
    account = org.accounts["csm_a1"][0]
    events_ingest(actor=org.csm_a1, events=[make_event(account, 0)])
    changed = make_event(account, 0, quantity="lots")
    checked = events_check(actor=org.csm_a1, events=[changed], skip_stored=False)
    assert [(e["index"], e["field"]) for e in checked.errors] == [(0, "quantity")]
    assert events_check(actor=org.csm_a1, events=[changed]).already_stored == 1


def test_same_instant_in_another_offset_is_the_same_stored_event(org):
    account = org.accounts["csm_a1"][0]
    events_ingest(actor=org.csm_a1, events=[make_event(account, 0, occurred_at="2025-06-10T09:30:00+08:00")])
    same = make_event(account, 0, occurred_at="2025-06-10T01:30:00Z")
    assert events_check(actor=org.csm_a1, events=[same]).already_stored == 1
    later = make_event(account, 0, occurred_at="2025-06-10T01:30:00.000001Z")
    assert events_check(actor=org.csm_a1, events=[later]).already_stored == 0
