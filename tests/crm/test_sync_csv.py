"""``manage.py sync_csv --mapping salesforce|hubspot|hourglass FILE``: a CRM's export
imports without editing, re-syncs unchanged, and is rejected whole when any row is bad."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, Stakeholder
from integrations.crm.mappings import SALESFORCE, map_row, plan_columns
from integrations.crm.services import SyncRejected, crm_sync_csv

pytestmark = pytest.mark.django_db

# The Account object's API names as a Data Loader export writes them (and columns
# the sync ignores: an export has many more).
SALESFORCE_HEADER = ["Id", "Name", "Type", "Industry", "AnnualRevenue", "OwnerId", "Owner.Email", "Website"]
INDUSTRIES = ["Banking", "Manufacturing", "Technology", "Healthcare", "Shipping", "Not For Profit", "Widgets"]


def _csv(header: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _salesforce_rows(count: int, owner_email: str) -> list[list[Any]]:
    return [
        [f"001Dn00000{i:08d}", f"Customer {i}", "Customer", INDUSTRIES[i % len(INDUSTRIES)], f"{10000 + i}.00",
         "005Dn000001AbCdEAK", owner_email, f"https://c{i}.example.com"]
        for i in range(count)
    ]  # fmt: skip


def _sync(tmp_path: Path, data: bytes, *args: str) -> tuple[str, str]:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    call_command("sync_csv", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_salesforce_export_syncs_1000_accounts_and_resyncs_them_unchanged(org, tmp_path) -> None:
    org.csm_a1.email = "csm.a1@example.com"
    org.csm_a1.save()
    data = b"\xef\xbb\xbf" + _csv(SALESFORCE_HEADER, _salesforce_rows(1000, "CSM.A1@example.com"))  # Excel's BOM
    args = ("--mapping", "salesforce", "--as", "manager_a")
    out, _err = _sync(tmp_path, data, *args)
    assert out.strip() == "accounts: 1000 rows, 1000 created, 0 updated, 0 unchanged"
    synced = Account.objects.filter(external_id__startswith="001Dn")
    assert synced.count() == 1000 and set(synced.values_list("owner", flat=True)) == {org.csm_a1.pk}
    account = synced.get(external_id="001Dn0000000000007")
    assert (account.name, account.arr, account.industry) == ("Customer 7", 10007, "finance")
    assert dict(synced.values_list("external_id", "industry"))["001Dn0000000000006"] == "other"  # "Widgets"
    assert set(
        Account.history.filter(external_id__startswith="001Dn").values_list("history_change_reason", flat=True)
    ) == {"sync crm salesforce"}
    out, _err = _sync(tmp_path, data, *args)
    assert out.strip() == "accounts: 1000 rows, 0 created, 0 updated, 1000 unchanged"
    assert Account.history.filter(external_id__startswith="001Dn").count() == 1000


def test_a_bad_row_rejects_the_file_naming_line_and_field(org, tmp_path) -> None:
    rows = _salesforce_rows(3, "")
    rows[1][4] = "a lot"
    with pytest.raises(CommandError, match="rejected, nothing written: 1 problems"):
        _sync(tmp_path, _csv(SALESFORCE_HEADER, rows), "--mapping", "salesforce", "--as", "admin")
    assert not Account.objects.filter(external_id__startswith="001Dn").exists()
    with pytest.raises(SyncRejected) as rejected:
        crm_sync_csv(actor=org.admin, entity="accounts", mapping="salesforce", data=_csv(SALESFORCE_HEADER, rows))
    assert [(e.index, e.field) for e in rejected.value.errors] == [(1, "arr")]


def test_the_command_prints_each_problem_with_its_line(org, tmp_path) -> None:
    rows = _salesforce_rows(2, "")
    rows[1][1] = ""
    path = tmp_path / "export.csv"
    path.write_bytes(_csv(SALESFORCE_HEADER, rows))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("sync_csv", str(path), "--mapping", "salesforce", "--as", "admin", stderr=err)
    assert err.getvalue().startswith("line 3, name: ")


def test_a_hubspot_export_in_gb18030_with_owners_by_name(org, tmp_path) -> None:
    org.csm_a2.first_name, org.csm_a2.last_name = "伟", "李"
    org.csm_a2.save()
    header = ["Record ID", "Company name", "Company owner", "Industry", "Annual Revenue", "Create Date"]
    rows = [
        ["9001", "华为技术", "李伟", "COMPUTER_SOFTWARE", "250000", "2024-01-05 10:00"],
        ["9002", "顺丰速运", "李伟", "Logistics and Supply Chain", "", "2024-01-06 10:00"],
    ]
    out, _err = _sync(tmp_path, _csv(header, rows, "gb18030"), "--mapping", "hubspot", "--as", "manager_a")
    assert "2 created" in out
    assert dict(Account.objects.filter(external_id__in=["9001", "9002"]).values_list("name", "industry")) == {
        "华为技术": "internet",
        "顺丰速运": "logistics",
    }
    assert set(Account.objects.filter(external_id__in=["9001", "9002"]).values_list("owner", flat=True)) == {
        org.csm_a2.pk
    }


def test_a_file_without_a_required_column_is_rejected_naming_the_field(org, tmp_path) -> None:
    with pytest.raises(SyncRejected) as rejected:
        crm_sync_csv(actor=org.admin, entity="accounts", mapping="hubspot", data=_csv(["Company name"], [["Acme"]]))
    [error] = rejected.value.errors
    assert (error.index, error.field) == (None, "external_id") and "Record ID" in error.message


def test_an_unreadable_file_is_rejected_as_a_whole(org) -> None:
    with pytest.raises(SyncRejected) as rejected:
        crm_sync_csv(actor=org.admin, entity="accounts", mapping="salesforce", data=b"\xff\xfe\x00\x81" * 3)
    assert [e.field for e in rejected.value.errors] == ["file"]


def test_a_csm_may_not_sync_from_the_command(org, tmp_path) -> None:
    data = _csv(SALESFORCE_HEADER, _salesforce_rows(1, ""))
    with pytest.raises(CommandError):
        _sync(tmp_path, data, "--mapping", "salesforce", "--as", "csm_a1")
    assert not Account.objects.filter(external_id__startswith="001Dn").exists()


def test_salesforce_contacts_sync_as_stakeholders_of_synced_accounts(org, tmp_path) -> None:
    account = org.accounts["csm_a1"][0]
    header = ["Id", "AccountId", "FirstName", "LastName", "Title", "Email", "Phone"]
    rows = [["003A", account.external_id, "Wei", "Li", "CFO", "li.wei@example.com", "+86 10 1234"]]
    out, _err = _sync(
        tmp_path, _csv(header, rows), "--mapping", "salesforce", "--entity", "stakeholders", "--as", "admin"
    )
    assert "1 created" in out
    person = Stakeholder.objects.get(account=account)
    assert (person.name, person.title, person.email) == ("Wei Li", "CFO", "li.wei@example.com")


def test_report_export_labels_map_like_api_names(org) -> None:
    plan = plan_columns(SALESFORCE["accounts"], ["account id", "account name", "annual revenue", "industry"])
    row = map_row(plan, {"account id": "001X", "account name": "Acme", "annual revenue": "5", "industry": "Insurance"})
    assert row == {"external_id": "001X", "name": "Acme", "arr": "5", "industry": "finance"}
