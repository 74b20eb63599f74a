"""POST /api/v1/sync/contracts: contracts by external id, through the renewals services
(a new active contract gets its renewal opportunity; the open renewal follows changes)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.tokens import api_token_issue
from renewals.models import Contract, RenewalOpportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/sync/contracts"


def _post(user: Any, rows: list[dict[str, Any]]) -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)}")
    return client.post(URL, {"rows": rows}, content_type="application/json")


def _rows(org: Any, count: int = 2) -> list[dict[str, Any]]:
    accounts = org.accounts["csm_a1"]
    return [
        {"external_id": f"800-{i}", "account_external_id": accounts[i % 2].external_id, "start_date": "2025-01-01",
         "end_date": "2025-12-31", "arr": 50000 + i, "currency": "cny", "auto_renew": "yes", "products": "CRM; BI"}
        for i in range(count)
    ]  # fmt: skip


def test_contracts_are_created_with_their_renewal_then_resent_unchanged(org) -> None:
    response = _post(org.manager_a, _rows(org))
    assert response.json() == {"entity": "contracts", "received": 2, "created": 2, "updated": 0, "unchanged": 0}
    contract = Contract.objects.get(external_id="800-1")
    assert (contract.arr, contract.currency, contract.auto_renew, contract.products) == (
        Decimal("50001.00"), "CNY", True, ["CRM", "BI"],
    )  # fmt: skip
    renewal = RenewalOpportunity.objects.get(contract=contract)
    assert (str(renewal.due_date), renewal.forecast_arr) == ("2025-12-31", Decimal("50001.00"))
    assert contract.history.get().history_change_reason == "sync crm api"
    assert contract.history.get().history_user == org.manager_a
    assert _post(org.manager_a, _rows(org)).json()["unchanged"] == 2


def test_a_changed_contract_moves_its_open_renewal(org) -> None:
    _post(org.admin, _rows(org))
    rows = _rows(org)
    rows[0]["end_date"], rows[0]["arr"] = "2026-03-31", "60,000"
    result = _post(org.admin, rows).json()
    assert (result["updated"], result["unchanged"]) == (1, 1)
    renewal = RenewalOpportunity.objects.get(contract__external_id="800-0")
    assert (str(renewal.due_date), renewal.forecast_arr) == ("2026-03-31", Decimal("60000.00"))


def test_bad_rows_and_out_of_scope_accounts_are_named_and_nothing_is_written(org) -> None:
    rows = _rows(org, 5)
    rows[0]["end_date"] = "2024-01-01"  # before the start
    rows[1]["account_external_id"] = org.accounts["csm_b1"][0].external_id  # another team's account
    rows[2]["currency"] = "yuan"
    rows[3].pop("start_date")
    rows[4]["auto_renew"] = "maybe"
    response = _post(org.manager_a, rows)
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (0, "end_date"), (1, "account_external_id"), (2, "currency"), (3, "start_date"), (4, "auto_renew"),
    ]  # fmt: skip
    assert not Contract.objects.filter(external_id__startswith="800-").exists()


def test_a_contract_outside_the_scope_or_moved_to_another_account_is_refused(org) -> None:
    _post(org.admin, _rows(org))
    moved = _rows(org)
    moved[0]["account_external_id"] = org.accounts["csm_a1"][1].external_id
    assert [(e["index"], e["field"]) for e in _post(org.admin, moved).json()["errors"]] == [(0, "account_external_id")]
    # manager_b leads team B: the contract belongs to team A's account.
    theirs = [{**_rows(org)[0], "account_external_id": org.accounts["csm_b1"][0].external_id}]
    assert [(e["index"], e["field"]) for e in _post(org.manager_b, theirs).json()["errors"]] == [(0, "external_id")]
    assert Contract.objects.get(external_id="800-0").account == org.accounts["csm_a1"][0]


def test_queries_of_an_unchanged_resync_do_not_grow_with_the_rows(org) -> None:
    _post(org.admin, _rows(org, 20))
    counts = []
    for count in (1, 20):
        with CaptureQueriesContext(connection) as queries:
            assert _post(org.admin, _rows(org, count)).json()["unchanged"] == count
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_command_syncs_contracts_in_hourglass_columns(org, tmp_path) -> None:
    account = org.accounts["csm_a1"][0]
    path = tmp_path / "contracts.csv"
    path.write_text(
        "external_id,account_external_id,start_date,end_date,arr,status\n"
        f"900-1,{account.external_id},2025-01-01,2025-12-31,1000,active\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("sync_csv", str(path), "--mapping", "hourglass", "--entity", "contracts", "--as", "admin", stdout=out)
    assert out.getvalue().strip() == "contracts: 1 rows, 1 created, 0 updated, 0 unchanged"
    assert Contract.objects.get(external_id="900-1").renewal.due_date.isoformat() == "2025-12-31"
