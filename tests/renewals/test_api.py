from __future__ import annotations

import pytest

from renewals.models import Contract, RenewalOpportunity, RenewalStatus
from tests.renewals.conftest import churn_reason, make_renewal

pytestmark = pytest.mark.django_db


def test_create_contract_opens_a_renewal_and_update_moves_it(client, org):
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    response = client.post(
        "/api/v1/contracts/",
        {
            "account_id": account.pk,
            "products": ["CRM", "OA"],
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "arr": "60000.00",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["currency"] == "CNY" and body["renewal_id"]
    renewal = RenewalOpportunity.objects.get(pk=body["renewal_id"])
    assert str(renewal.due_date) == "2025-12-31"
    patched = client.patch(
        f"/api/v1/contracts/{body['id']}/", {"end_date": "2026-01-31"}, content_type="application/json"
    )
    assert patched.status_code == 200, patched.content
    renewal.refresh_from_db()
    assert str(renewal.due_date) == "2026-01-31"
    listing = client.get("/api/v1/contracts/").json()
    assert [row["id"] for row in listing["results"]] == [body["id"]]


def test_cannot_create_a_contract_for_an_account_outside_scope(client, org):
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/contracts/",
        {
            "account_id": org.accounts["csm_b1"][0].pk,
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "arr": "1",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "account_id" in response.json()
    bad_dates = client.post(
        "/api/v1/contracts/",
        {"account_id": org.accounts["csm_a1"][0].pk, "start_date": "2025-02-01", "end_date": "2025-01-01", "arr": "1"},
        content_type="application/json",
    )
    assert bad_dates.status_code == 400 and "end_date" in bad_dates.json()
    assert not Contract.objects.exists()


def test_renewal_list_and_actions(client, org):
    renewal = make_renewal(account=org.accounts["csm_a1"][0], days_left=30, arr="100000")
    make_renewal(account=org.accounts["csm_b1"][0], days_left=30)
    client.force_login(org.csm_a1)
    listing = client.get("/api/v1/renewals/").json()
    assert [row["id"] for row in listing["results"]] == [renewal.pk]
    row = listing["results"][0]
    assert row["signal_probability"] == "0.80" and row["disagrees"] is False
    assert row["account"]["owner"]["username"] == "csm_a1"

    url = f"/api/v1/renewals/{renewal.pk}/"
    assert client.post(url + "mark-at-risk/", {"reason": ""}, content_type="application/json").status_code == 400
    response = client.post(url + "mark-at-risk/", {"reason": "Budget"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "at_risk"
    response = client.post(
        url + "override-forecast/", {"probability": "0.9", "reason": "Signed PO"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["disagrees"] is True
    response = client.post(url + "close/", {"outcome": "churned"}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()  # why it closes so: required
    response = client.post(url + "close/", {"outcome": "churned", "reason": "Lost"}, content_type="application/json")
    assert response.status_code == 400 and "churn_reason" in response.json()
    churn_reason("competitor")
    response = client.post(
        url + "close/",
        {"outcome": "churned", "churn_reason": "competitor", "reason": "Moved to a rival"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == RenewalStatus.CHURNED and response.json()["churn_reason"] == "competitor"
    assert client.delete(url).status_code == 405


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/renewals/").status_code in (401, 403)
    assert client.get("/renewals/").status_code == 302
