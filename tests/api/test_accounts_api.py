from __future__ import annotations

import pytest

from accounts.models import Account

pytestmark = pytest.mark.django_db


def test_create_and_update_through_api(client, org):
    client.force_login(org.manager_a)
    created = client.post(
        "/api/v1/accounts/",
        {
            "name": "API Co",
            "external_id": "CRM-API",
            "industry": "internet",
            "arr": "88000.00",
            "owner_id": org.csm_a2.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["segment"] == "mid_market"
    assert body["owner"]["username"] == "csm_a2"
    assert body["currency"] == "CNY"
    updated = client.patch(f"/api/v1/accounts/{body['id']}/", {"arr": "400000"}, content_type="application/json")
    assert updated.status_code == 200
    assert updated.json()["segment"] == "enterprise"


def test_validation_errors_are_json_naming_each_field(client, org):
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/accounts/",
        {"name": "", "industry": "mining", "arr": "-1"},
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"name", "industry", "arr"} <= set(errors)
    assert not Account.objects.filter(industry="mining").exists()


def test_duplicate_external_id_is_rejected_by_field(client, org):
    client.force_login(org.admin)
    existing = org.accounts["csm_a1"][0]
    response = client.post(
        "/api/v1/accounts/", {"name": "Dup", "external_id": existing.external_id}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "external_id" in response.json()


def test_manager_cannot_assign_to_other_team(client, org):
    client.force_login(org.manager_a)
    response = client.post(
        "/api/v1/accounts/", {"name": "X", "owner_id": org.csm_b1.pk}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "owner_id" in response.json()


def test_delete_is_not_offered(client, org):
    client.force_login(org.admin)
    account = org.accounts["csm_a1"][0]
    assert client.delete(f"/api/v1/accounts/{account.pk}/").status_code == 405
    assert Account.objects.filter(pk=account.pk).exists()


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/accounts/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
