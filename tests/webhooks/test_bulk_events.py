"""Batch writes (the CRM sync, the CSV import) send account webhook events, set-based.

``AccountBatch.save`` announces the whole batch once after commit
(``accounts_bulk_written``); ``integrations.webhooks.bulk`` queues one delivery per
account and subscribed endpoint in a constant number of queries.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.imports import csv_import
from accounts.models import Account
from core.tokens import api_token_issue
from integrations.webhooks.bulk import on_accounts_bulk_written
from integrations.webhooks.delivery import deliveries_claim, deliveries_send
from integrations.webhooks.models import Delivery
from integrations.webhooks.services import endpoint_create
from tests.webhooks.receiver import signature_valid

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/sync/accounts"
ACCOUNT_EVENTS = ["account.created", "account.updated", "account.owner_changed"]


def _rows(count: int, *, prefix: str, owner: str = "csm_a1", arr: int = 1200) -> list[dict[str, Any]]:
    return [{"external_id": f"{prefix}-{i:04d}", "name": f"Customer {i}", "arr": arr, "owner": owner}
            for i in range(count)]  # fmt: skip


def _sync(client: Client, rows: list[dict[str, Any]], capture: Any) -> tuple[dict[str, Any], int]:
    """The answer and the queries of one call, its after-commit work (the webhooks) included."""
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        response = client.post(SYNC, {"rows": rows}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


@pytest.fixture
def client(org: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=org.manager_a)}")


def test_a_sync_of_n_accounts_queues_n_created_deliveries_in_constant_queries(
    org, client, django_capture_on_commit_callbacks
):
    endpoint, _secret = endpoint_create(name="CRM mirror", url="https://hooks.example/h", actor=org.admin,
                                        event_types=ACCOUNT_EVENTS)  # fmt: skip
    _sync(client, _rows(1, prefix="WARM"), django_capture_on_commit_callbacks)  # the subscriptions get cached
    counts = []
    for n in (1, 20):
        answer, queries = _sync(client, _rows(n, prefix=f"N{n}"), django_capture_on_commit_callbacks)
        assert answer["created"] == n
        created = Delivery.objects.filter(endpoint=endpoint, event_type="account.created")
        assert created.filter(payload__data__account__external_id__startswith=f"N{n}-").count() == n
        counts.append(queries)
    assert counts[0] == counts[1]
    assert Delivery.objects.count() == 22
    account = Account.objects.get(external_id="N20-0007")
    delivery = Delivery.objects.get(dedupe_key=f"account.created:{account.pk}:{endpoint.pk}")  # the single path's key
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.payload["data"]["account"] == {
        "id": account.pk, "name": "Customer 7", "external_id": "N20-0007", "arr": "1200.00",
        "owner_id": org.csm_a1.pk, "url": f"https://hourglass.example/accounts/{account.pk}/",
    }  # fmt: skip


def test_a_re_sync_queues_nothing(org, client, django_capture_on_commit_callbacks):
    endpoint_create(name="CRM mirror", url="https://hooks.example/h", actor=org.admin, event_types=ACCOUNT_EVENTS)
    _sync(client, _rows(5, prefix="R"), django_capture_on_commit_callbacks)
    assert Delivery.objects.count() == 5
    answer, _queries = _sync(client, _rows(5, prefix="R"), django_capture_on_commit_callbacks)
    assert answer["unchanged"] == 5
    assert Delivery.objects.count() == 5


def test_an_unsubscribed_event_type_queues_nothing(org, client, django_capture_on_commit_callbacks):
    endpoint_create(name="Tasks only", url="https://hooks.example/t", actor=org.admin, event_types=["task.created"])
    inactive, _secret = endpoint_create(name="Off", url="https://hooks.example/o", actor=org.admin,
                                        event_types=ACCOUNT_EVENTS)  # fmt: skip
    inactive.active = False
    inactive.save()
    answer, _queries = _sync(client, _rows(10, prefix="U"), django_capture_on_commit_callbacks)
    assert answer["created"] == 10
    assert not Delivery.objects.exists()


def test_only_the_subscribed_types_are_queued(org, client, django_capture_on_commit_callbacks):
    endpoint_create(
        name="Owners", url="https://hooks.example/o", actor=org.admin, event_types=["account.owner_changed"]
    )
    _sync(client, _rows(3, prefix="S"), django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists()  # created: not subscribed
    moved = _rows(3, prefix="S")
    moved[1]["owner"] = "csm_a2"
    answer, _queries = _sync(client, moved, django_capture_on_commit_callbacks)
    assert answer["updated"] == 1
    assert list(Delivery.objects.values_list("event_type", flat=True)) == ["account.owner_changed"]


def test_a_rejected_sync_queues_nothing(org, client, django_capture_on_commit_callbacks):
    endpoint_create(name="CRM mirror", url="https://hooks.example/h", actor=org.admin, event_types=ACCOUNT_EVENTS)
    rows = _rows(4, prefix="X")
    rows[2]["arr"] = "lots"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SYNC, {"rows": rows}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"index": 2, "field": "arr", "message": "Not a number: 'lots'."}
    assert not Account.objects.filter(external_id__startswith="X-").exists()
    assert not Delivery.objects.exists()


def test_the_same_batch_announced_twice_is_queued_once(org, client, django_capture_on_commit_callbacks):
    endpoint_create(name="CRM mirror", url="https://hooks.example/h", actor=org.admin, event_types=ACCOUNT_EVENTS)
    _sync(client, _rows(6, prefix="D"), django_capture_on_commit_callbacks)
    accounts = list(Account.objects.filter(external_id__startswith="D-"))
    on_accounts_bulk_written(sender=Account, created=accounts, updated=[], owner_changes=[], actor=org.manager_a)
    assert Delivery.objects.filter(event_type="account.created").count() == 6


def test_a_csv_import_sends_updated_and_owner_changed_to_a_real_receiver(
    org, receiver, django_capture_on_commit_callbacks
):
    _endpoint, secret = endpoint_create(name="Mirror", url=receiver.url, actor=org.admin, event_types=ACCOUNT_EVENTS)
    account = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=account.pk).update(external_id="IMP-1")
    data = f"external_id,name,arr,owner\nIMP-1,{account.name},4321,csm_a2\nIMP-2,Brand new,10,csm_a1\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        result, _run = csv_import(actor=org.manager_a, kind="accounts", data=data)
    assert (result.created, result.updated) == (1, 1)
    deliveries_send(deliveries_claim())
    received = receiver.wait_for(3)
    assert all(signature_valid(secret, request) for request in received)
    sent = {request.json()["type"]: request.json()["data"] for request in received}
    assert set(sent) == set(ACCOUNT_EVENTS)
    assert sent["account.created"]["account"]["external_id"] == "IMP-2"
    assert sent["account.updated"]["account"]["id"] == account.pk
    assert sent["account.updated"]["fields"] == ["arr", "owner"]
    assert sent["account.owner_changed"]["previous_owner"]["username"] == "csm_a1"
    assert sent["account.owner_changed"]["owner"]["username"] == "csm_a2"
