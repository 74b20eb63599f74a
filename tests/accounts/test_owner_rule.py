"""Who may own an account, on every write path, and errors that name no one out of scope.

Issue 21: an update could leave an account without an owner (it then vanished from
every scope but an admin's), and the owner errors named people of other teams.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.imports import csv_import
from accounts.models import Account
from accounts.services import AccountBatch, account_update

pytestmark = pytest.mark.django_db

HEADER = "external_id,name,industry,arr,icp_fit,owner,go_live_date,status\n"
UNKNOWN_USER_ID = 987654


def _patch(client, account, payload):
    return client.patch(f"/api/v1/accounts/{account.pk}/", payload, content_type="application/json")


@pytest.mark.parametrize("role", ["csm_a1", "manager_a"])
def test_api_patch_owner_null_is_refused_naming_owner_id(client, org, role):
    account = org.accounts["csm_a1"][0]
    client.force_login(getattr(org, role))
    response = _patch(client, account, {"owner_id": None})
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"owner_id"}
    account.refresh_from_db()
    assert account.owner == org.csm_a1


def test_api_admin_may_unassign(client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.admin)
    response = _patch(client, account, {"owner_id": None})
    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert account.owner is None


@pytest.mark.parametrize("role", ["csm_a1", "manager_a"])
def test_edit_form_with_empty_owner_is_a_form_error(client, org, role):
    account = org.accounts["csm_a1"][0]
    client.force_login(getattr(org, role))
    response = client.post(
        reverse("accounts:edit", args=[account.pk]),
        {"name": "Renamed", "industry": "retail", "arr": "1000", "icp_fit": "target", "status": "active", "owner": ""},
    )
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    account.refresh_from_db()
    assert (account.owner, account.name) == (org.csm_a1, "csm_a1 account 0")


def test_service_and_batch_refuse_unassigning_for_all_but_an_admin(org):
    account = org.accounts["csm_a2"][0]
    with pytest.raises(ValidationError) as refused:
        account_update(actor=org.manager_a, account=account, owner=None)
    assert set(refused.value.message_dict) == {"owner"}
    assert set(AccountBatch(actor=org.manager_a).update(account, owner=None) or {}) == {"owner"}
    assert AccountBatch(actor=org.admin).update(account, owner=None) == {}
    account_update(actor=org.admin, account=Account.objects.get(pk=account.pk), owner=None)
    assert Account.objects.get(pk=account.pk).owner is None


@pytest.mark.parametrize("method", ["post", "patch"])
def test_api_owner_outside_team_reads_as_an_unknown_id(client, org, method):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.manager_a)

    def owner_error(owner_id):
        if method == "post":
            response = client.post("/api/v1/accounts/", {"name": "X", "owner_id": owner_id}, "application/json")
        else:
            response = _patch(client, account, {"owner_id": owner_id})
        assert response.status_code == 400, response.content
        return response.json()["owner_id"]

    outside = owner_error(org.csm_b1.pk)
    assert outside == owner_error(UNKNOWN_USER_ID)
    assert "csm_b1" not in str(outside) and org.csm_b1.get_full_name() not in str(outside)
    account.refresh_from_db()
    assert account.owner == org.csm_a1 and not Account.objects.filter(name="X").exists()


def test_import_external_id_outside_scope_reads_as_any_bad_value(org):
    theirs = org.accounts["csm_b1"][0]
    data = HEADER + f"{theirs.external_id},Hijack,retail,1,target,,,active\nNEW-1,Fine,quarrying,1,target,,,active\n"
    result, _run = csv_import(actor=org.csm_a1, kind="accounts", data=data.encode())
    by_cell = {(e.row, e.column): e.reason for e in result.errors}
    # Worded as an unknown industry is: nothing says another account holds the id.
    assert by_cell[(2, "external_id")] == by_cell[(3, "industry")].replace("'quarrying'", repr(theirs.external_id))
    theirs.refresh_from_db()
    assert theirs.name != "Hijack"


def test_import_owner_outside_team_reads_as_an_unknown_user(org):
    data = HEADER + "NEW-1,One,retail,1,target,csm_b1,,active\nNEW-2,Two,retail,1,target,nobody,,active\n"
    result, _run = csv_import(actor=org.csm_a1, kind="accounts", data=data.encode())
    by_cell = {(e.row, e.column): e.reason for e in result.errors}
    assert by_cell[(2, "owner")].replace("csm_b1", "nobody") == by_cell[(3, "owner")]
