"""POST /api/v1/sync/accounts and /sync/stakeholders: upsert by external id, all or
nothing, errors by index and field, scope, idempotence, history, constant queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Stakeholder
from core.tokens import api_token_issue

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/sync/accounts"
STAKEHOLDERS = "/api/v1/sync/stakeholders"


def _client(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)}")


def _post(client: Client, url: str, rows: Any) -> Any:
    return client.post(url, {"rows": rows}, content_type="application/json")


def _rows(count: int, *, owner: str = "csm_a1", prefix: str = "SF") -> list[dict[str, Any]]:
    return [
        {"external_id": f"{prefix}-{i:04d}", "name": f"Customer {i}", "arr": 1200 + i, "owner": owner}
        for i in range(count)
    ]


def test_a_manager_creates_then_resends_unchanged_then_updates(org) -> None:
    client = _client(org.manager_a)
    response = _post(client, ACCOUNTS, _rows(3))
    assert response.status_code == 200, response.content
    assert response.json() == {"entity": "accounts", "received": 3, "created": 3, "updated": 0, "unchanged": 0}
    account = Account.objects.get(external_id="SF-0001")
    assert (account.name, account.arr, account.owner) == ("Customer 1", Decimal("1201.00"), org.csm_a1)

    again = _post(client, ACCOUNTS, _rows(3))
    assert again.json() == {"entity": "accounts", "received": 3, "created": 0, "updated": 0, "unchanged": 3}

    changed = _rows(3)
    changed[2]["arr"] = "9,999.50"
    changed[0]["industry"] = "Financial services"
    result = _post(client, ACCOUNTS, changed).json()
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 2, 1)
    account = Account.objects.get(external_id="SF-0002")
    assert account.arr == Decimal("9999.50")
    assert Account.objects.get(external_id="SF-0000").industry == "finance"


def test_history_names_the_sync_and_the_token_user(org) -> None:
    client = _client(org.manager_a)
    _post(client, ACCOUNTS, _rows(1))
    rows = _rows(1)
    rows[0]["name"] = "Renamed"
    _post(client, ACCOUNTS, rows)
    history = list(Account.history.filter(external_id="SF-0000").order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert {h.history_user_id for h in history} == {org.manager_a.pk}
    assert {h.history_change_reason for h in history} == {"sync crm api"}


def test_a_row_for_an_account_outside_the_scope_rejects_the_whole_call_with_its_index(org) -> None:
    other_team = org.accounts["csm_b1"][0]
    rows = _rows(3)
    rows[1] = {"external_id": other_team.external_id, "name": "Taken over"}
    response = _post(_client(org.manager_a), ACCOUNTS, rows)
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "external_id")]
    assert not Account.objects.filter(external_id__startswith="SF-").exists()
    other_team.refresh_from_db()
    assert other_team.name != "Taken over"


def test_a_new_account_for_an_owner_outside_the_scope_is_refused_by_index(org) -> None:
    rows = _rows(2)
    rows[1]["owner"] = "csm_b1"
    response = _post(_client(org.manager_a), ACCOUNTS, rows)
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "owner")]
    assert not Account.objects.filter(external_id__startswith="SF-").exists()


def test_bad_rows_name_every_index_and_field_and_nothing_is_written(org) -> None:
    rows = _rows(6)
    rows[0]["arr"] = "lots"
    rows[1]["industry"] = "Widgets"
    rows[2]["colour"] = "red"
    rows[3]["name"] = ""
    rows[4]["status"] = True
    rows[5]["external_id"] = "SF-0000"  # the same id as row 0
    response = _post(_client(org.admin), ACCOUNTS, rows)
    assert response.status_code == 400
    errors = response.json()["errors"]
    # The shape errors (unknown field, a boolean) come first, in one pass over the body.
    assert [(e["index"], e["field"]) for e in errors] == [(2, "colour"), (4, "status")]
    rows[2].pop("colour")
    rows[4]["status"] = "active"
    errors = _post(_client(org.admin), ACCOUNTS, rows).json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(0, "arr"), (1, "industry"), (3, "name"), (5, "external_id")]
    assert all(e["message"] for e in errors)
    assert not Account.objects.filter(external_id__startswith="SF-").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "rows"), ({"rows": []}, "rows"), ({"rows": "x"}, "rows"), ([{"name": "x"}], "non_field_errors")],
)
def test_a_malformed_body_is_a_400_naming_the_problem(org, body, field) -> None:
    response = _client(org.admin).post(ACCOUNTS, body, content_type="application/json")
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(None, field)]


def test_a_row_that_is_not_an_object_is_named_by_index(org) -> None:
    response = _post(_client(org.admin), ACCOUNTS, [_rows(1)[0], "not a row"])
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "row")]


def test_more_rows_than_the_limit_is_a_413_with_the_limit(org, settings) -> None:
    settings.HOURGLASS_CRM_SYNC_MAX_ROWS = 3
    response = _post(_client(org.admin), ACCOUNTS, _rows(4))
    assert response.status_code == 413
    assert "3" in response.json()["detail"]
    assert not Account.objects.filter(external_id__startswith="SF-").exists()
    assert _post(_client(org.admin), ACCOUNTS, _rows(3)).status_code == 200


def test_csms_and_anonymous_callers_are_refused_and_nothing_is_written(org) -> None:
    response = _post(_client(org.csm_a1), ACCOUNTS, _rows(1))
    assert response.status_code == 403
    assert "managers and admins" in response.json()["detail"]
    assert _post(Client(), ACCOUNTS, _rows(1)).status_code == 401
    assert not Account.objects.filter(external_id__startswith="SF-").exists()


def test_an_owner_given_by_name_resolves_to_that_person(org) -> None:
    org.csm_a2.first_name, org.csm_a2.last_name = "Emma", "Clark"
    org.csm_a2.save()
    rows = _rows(1, owner="Emma Clark")
    assert _post(_client(org.manager_a), ACCOUNTS, rows).status_code == 200
    assert Account.objects.get(external_id="SF-0000").owner == org.csm_a2


def _count_queries(client: Client, rows: list[dict[str, Any]]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _post(client, ACCOUNTS, rows).status_code == 200
    return len(queries)


def test_queries_per_call_do_not_grow_with_the_rows(org) -> None:
    client = _client(org.manager_a)
    created = [_count_queries(client, _rows(n, prefix=f"Q{n}")) for n in (1, 20)]
    assert created[0] == created[1]
    updated = []
    for n in (1, 20):
        rows = _rows(n, prefix=f"Q{n}")
        for row in rows:
            row["arr"] = 5
        updated.append(_count_queries(client, rows))
    assert updated[0] == updated[1]
    unchanged = [_count_queries(client, _rows(n, prefix=f"Q{n}")) for n in (1, 20)]
    assert unchanged[0] == unchanged[1]


def test_stakeholders_upsert_by_account_and_email_and_respect_the_scope(org) -> None:
    account = org.accounts["csm_a1"][0]
    rows = [
        {"account_external_id": account.external_id, "name": "Li Wei", "email": "li@example.com", "tier": "S"},
        {"account_external_id": account.external_id, "name": "Wang Fang", "title": "IT Manager"},
    ]
    client = _client(org.manager_a)
    assert _post(client, STAKEHOLDERS, rows).json() == {
        "entity": "stakeholders", "received": 2, "created": 2, "updated": 0, "unchanged": 0,
    }  # fmt: skip
    assert _post(client, STAKEHOLDERS, rows).json()["unchanged"] == 2
    person = Stakeholder.objects.get(email="li@example.com")
    assert person.tier == "S"
    assert person.history.get().history_change_reason == "sync crm api"

    outside = [*rows, {"account_external_id": org.accounts["csm_b1"][0].external_id, "name": "Zhao Lei"}]
    response = _post(client, STAKEHOLDERS, outside)
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(2, "account_external_id")]
    assert not Stakeholder.objects.filter(name="Zhao Lei").exists()


def test_the_schema_documents_every_sync_operation(org) -> None:
    client = Client()
    client.force_login(org.admin)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/sync/accounts", "/api/v1/sync/stakeholders", "/api/v1/sync/contracts"):
        operation = schema["paths"][path]["post"]
        assert {"200", "400", "413"} <= set(operation["responses"])
        items = operation["requestBody"]["content"]["application/json"]["schema"]["properties"]["rows"]["items"]
        assert "external_id" in items["properties"] or "account_external_id" in items["properties"]


def test_errors_are_written_in_the_callers_language(org) -> None:
    rows = _rows(1)
    rows[0]["status"] = False
    response = _client(org.admin).post(
        ACCOUNTS, {"rows": rows}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.json()["errors"] == [{"index": 0, "field": "status", "message": "应为文本或数字。"}]


def test_a_body_beyond_the_byte_limit_is_a_413_before_it_is_parsed(org, settings) -> None:
    settings.HOURGLASS_CRM_SYNC_MAX_ROWS = 2  # 4 KB
    rows = [{"external_id": "SF-1", "name": "x" * 5000}]
    response = _post(_client(org.admin), ACCOUNTS, rows)
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    assert not Account.objects.filter(external_id="SF-1").exists()


def test_only_json_bodies_are_read(org) -> None:
    response = _client(org.admin).post(ACCOUNTS, "rows=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
