"""The unmatched inbox API: the page's scope and services, token or session, field-named 400s."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import TimelineEntry
from integrations.inbox.models import InboundEmail, InboundStatus, MatchedBy

pytestmark = pytest.mark.django_db

LIST = "/api/v1/inbox/unmatched/"


def parked(sender: Any, n: int = 0, **fields: Any) -> InboundEmail:
    fields = {"status": InboundStatus.UNMATCHED, **fields}
    return InboundEmail.objects.create(
        message_id=f"<api-{sender.username}-{n}@example.com>",
        sender=sender,
        subject=f"Parked {sender.username} {n}",
        body="Hello from an unknown domain. " * 20,
        to_addresses=["wang.fang@acme.cn"],
        attachments=[{"name": "plan.pdf", "content_type": "application/pdf", "size": 3}],
        **fields,
    )


def api(user: Any) -> APIClient:
    """A client with the person's API token (as scripts call it)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def subjects(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["subject"] for row in response.json()["results"]}


def test_each_person_lists_the_unmatched_email_of_their_scope(customers):
    for user in (customers.csm_a1, customers.csm_a2, customers.csm_b1):
        parked(user)
    parked(customers.csm_a1, 1, status=InboundStatus.MATCHED)
    parked(customers.csm_a1, 2, status=InboundStatus.DISMISSED)
    assert subjects(api(customers.csm_a1).get(LIST)) == {"Parked csm_a1 0"}
    assert subjects(api(customers.manager_a).get(LIST)) == {"Parked csm_a1 0", "Parked csm_a2 0"}
    assert subjects(api(customers.manager_b).get(LIST)) == {"Parked csm_b1 0"}
    assert len(subjects(api(customers.admin).get(LIST))) == 3
    (row,) = api(customers.csm_a1).get(LIST).json()["results"]
    assert row["sender"]["username"] == "csm_a1" and "status" not in row
    assert row["to_addresses"] == ["wang.fang@acme.cn"] and row["attachments"][0]["name"] == "plan.pdf"
    assert len(row["excerpt"]) == 300 and "body" not in row


def test_session_works_and_anonymous_is_refused(client, customers):
    parked(customers.csm_a1)
    assert APIClient().get(LIST).status_code == 401
    client.force_login(customers.csm_a1)
    assert subjects(client.get(LIST)) == {"Parked csm_a1 0"}


def test_the_list_runs_the_same_queries_for_1_and_20_emails(customers):
    client = api(customers.manager_a)
    parked(customers.csm_a1)
    client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(LIST).json()["results"]) == 1
    for n in range(1, 20):
        parked(customers.csm_a2 if n % 2 else customers.csm_a1, n)
    with CaptureQueriesContext(connection) as twenty:
        assert len(client.get(LIST).json()["results"]) == 20
    assert len(twenty) == len(one)


def test_a_csm_assigns_an_email_and_it_becomes_the_senders_email_touchpoint(customers):
    email = parked(customers.csm_a1)
    client = api(customers.csm_a1)
    detail = client.get(f"{LIST}{email.pk}/")
    assert detail.status_code == 200 and detail.json()["body"].startswith("Hello from an unknown domain")
    response = client.post(f"{LIST}{email.pk}/assign", {"account_id": customers.acme.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["account"], body["matched_by"]) == ("assigned", customers.acme.pk, "manual")
    email.refresh_from_db()
    assert (email.status, email.account, email.matched_by) == (InboundStatus.ASSIGNED, customers.acme, MatchedBy.MANUAL)
    entry = email.timeline_entry
    assert body["timeline_entry"] == entry.pk
    assert (entry.account, entry.kind, entry.actor, entry.is_touchpoint) == (
        customers.acme, "email", customers.csm_a1, True,
    )  # fmt: skip
    assert list(entry.stakeholders.all()) == [customers.acme_cto]
    assert subjects(client.get(LIST)) == set()
    # Twice: refused by the email's state, nothing written again.
    again = client.post(f"{LIST}{email.pk}/assign", {"account_id": customers.acme.pk})
    assert again.status_code == 400 and again.json()["status"] == ["This email is no longer waiting for an account."]
    assert TimelineEntry.objects.filter(kind="email").count() == 1


def test_a_manager_assigns_a_team_members_email_to_a_team_account(customers):
    email = parked(customers.csm_a1)
    target = customers.accounts["csm_a2"][0]
    response = api(customers.manager_a).post(f"{LIST}{email.pk}/assign", {"account_id": target.pk}, format="json")
    assert response.status_code == 200
    email.refresh_from_db()
    assert (email.account, email.assigned_by, email.timeline_entry.actor) == (
        target, customers.manager_a, customers.csm_a1,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"account_id": "x"}, "A valid integer is required."),
        ({"account_id": 999999}, "Pick one of your accounts."),
        ({"account_id": "globex"}, "Pick one of your accounts."),
        ({"account_id": "unassigned"}, "Pick one of your accounts."),
    ],
)
def test_bad_input_names_account_id_and_writes_nothing(customers, data, message):
    email = parked(customers.csm_a1)
    if data.get("account_id") in ("globex", "unassigned"):
        data = {"account_id": getattr(customers, data["account_id"]).pk}
    response = api(customers.csm_a1).post(f"{LIST}{email.pk}/assign", data, format="json")
    assert response.status_code == 400 and response.json()["account_id"] == [message]
    email.refresh_from_db()
    assert email.status == InboundStatus.UNMATCHED and not TimelineEntry.objects.filter(kind="email").exists()


def test_outside_the_scope_is_404_whatever_the_body(customers):
    email = parked(customers.csm_a1)
    for user in (customers.csm_a2, customers.csm_b1, customers.manager_b):
        client = api(user)
        assert client.get(f"{LIST}{email.pk}/").status_code == 404
        assert client.post(f"{LIST}{email.pk}/assign", {"account_id": customers.acme.pk}).status_code == 404
        assert client.post(f"{LIST}{email.pk}/assign", {}).status_code == 404
        assert client.post(f"{LIST}{email.pk}/dismiss").status_code == 404
    assert api(customers.csm_a1).post(f"{LIST}999999/dismiss").status_code == 404
    email.refresh_from_db()
    assert email.status == InboundStatus.UNMATCHED


def test_dismiss_once_then_neither_dismiss_nor_assign(customers):
    email = parked(customers.csm_a1)
    client = api(customers.manager_a)
    response = client.post(f"{LIST}{email.pk}/dismiss")
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    email.refresh_from_db()
    assert (email.status, email.assigned_by, email.timeline_entry) == (
        InboundStatus.DISMISSED, customers.manager_a, None,
    )  # fmt: skip
    again = client.post(f"{LIST}{email.pk}/dismiss")
    assert again.status_code == 400 and again.json()["status"] == ["This email is no longer waiting for an account."]
    assigned = client.post(f"{LIST}{email.pk}/assign", {"account_id": customers.acme.pk})
    assert assigned.status_code == 400 and "status" in assigned.json()
    assert not TimelineEntry.objects.filter(kind="email").exists()


def test_the_schema_documents_the_inbox_api(customers):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "get" in paths["/api/v1/inbox/unmatched/"]
    assert "get" in paths["/api/v1/inbox/unmatched/{id}/"]
    assign = paths["/api/v1/inbox/unmatched/{id}/assign"]["post"]
    assert assign["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AssignRequest")
    assert "post" in paths["/api/v1/inbox/unmatched/{id}/dismiss"]
    assert "account_id" in schema["components"]["schemas"]["AssignRequest"]["required"]
