from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.imports import csv_import
from accounts.models import Account, ImportRun, Stakeholder, TimelineEntry
from accounts.services import account_create
from org.models import Role
from tests.factories import make_person

pytestmark = pytest.mark.django_db

HEADER = "external_id,name,industry,arr,icp_fit,owner,go_live_date,status\n"


def accounts_csv(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode("utf-8")


def test_valid_file_imports_and_reimport_changes_nothing(org):
    data = accounts_csv(
        "CRM-1,Alpha Ltd,retail,12000,target,csm_a1,2026-01-15,active",
        'CRM-2,华东精密机械有限公司,制造业,"1,200,000",精准客户,csm_a1,,上线实施中',
    )
    result, run = csv_import(actor=org.csm_a1, kind="accounts", data=data, filename="crm.csv")
    assert (result.created, result.updated, result.errors) == (2, 0, [])
    chinese = Account.objects.get(external_id="CRM-2")
    assert (chinese.industry, chinese.arr, chinese.icp_fit, chinese.status) == (
        "manufacturing", Decimal("1200000.00"), "target", "onboarding",
    )  # fmt: skip
    assert chinese.owner == org.csm_a1 and chinese.history.first().history_user == org.csm_a1
    again, _ = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert run.status == ImportRun.Status.DONE


def test_one_bad_row_means_nothing_is_written_and_every_error_is_named(org):
    data = accounts_csv(
        "CRM-1,Good Co,retail,1000,target,csm_a1,,active",
        "CRM-2,,mining,abc,target,nobody,2026-13-01,active",
        "CRM-1,Duplicate Co,retail,1,target,csm_a1,,active",
        "CRM-3,Not mine,retail,1,target,csm_b1,,active",
    )
    result, run = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    errors = {(e.row, e.column) for e in result.errors}
    assert {(3, "name"), (3, "industry"), (3, "arr"), (3, "owner"), (3, "go_live_date")} <= errors
    assert (4, "external_id") in errors  # duplicate of row 2
    assert (5, "owner") in errors  # a CSM cannot assign to another team's CSM
    assert not Account.objects.filter(external_id__in=["CRM-1", "CRM-2", "CRM-3"]).exists()
    assert run.status == ImportRun.Status.REJECTED
    rejected = list(csv.DictReader(io.StringIO(result.rejected_csv)))
    assert [row["external_id"] for row in rejected] == ["CRM-2", "CRM-1", "CRM-3"]
    assert "industry" in rejected[0]["error"]


def test_valid_rows_only_writes_the_good_ones(org):
    data = accounts_csv("CRM-1,Good Co,retail,1000,target,,,active", "CRM-2,Bad Co,retail,-5,target,,,active")
    result, run = csv_import(actor=org.csm_a1, kind="accounts", data=data, valid_only=True)
    assert result.created == 1 and result.rejected_rows == 1
    assert Account.objects.get(external_id="CRM-1").owner == org.csm_a1
    assert run.status == ImportRun.Status.PARTIAL


def test_external_id_of_someone_elses_account_is_refused(org):
    theirs = org.accounts["csm_b1"][0]
    result, _ = csv_import(
        actor=org.csm_a1, kind="accounts", data=accounts_csv(f"{theirs.external_id},Hijack,retail,1,target,,,active")
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "external_id")]
    theirs.refresh_from_db()
    assert theirs.name != "Hijack"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (HEADER.encode(), "no rows"),
        ("external_id,name\nX,Caf\xe9\n".encode("latin-1") + b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_unreadable_files_are_reported_as_a_whole(org, data, message):
    result, run = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert result.errors[0].column == "file" and message in result.errors[0].reason
    assert run.status == ImportRun.Status.REJECTED


def test_gb18030_file_from_a_chinese_crm_is_read(org):
    data = accounts_csv("CRM-9,深圳云智科技有限公司,互联网与软件,50000,探索客户,,,使用中").decode().encode("gb18030")
    result, _ = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert result.errors == [] and Account.objects.get(external_id="CRM-9").icp_fit == "exploratory"


def test_missing_and_unknown_columns(org):
    result, _ = csv_import(actor=org.csm_a1, kind="accounts", data=b"name,colour\nA,red\n")
    assert {(e.row, e.column) for e in result.errors} == {(1, "external_id"), (1, "colour")}


def test_stakeholders_import_matches_by_email_and_is_idempotent(org):
    account = org.accounts["csm_a1"][0]
    header = "account_external_id,name,email,title,tier,key_level,relationship\n"
    data = (header + f"{account.external_id},Wang CEO,wang@example.com,CEO,S,1,4\n"
            f"{account.external_id},Li Admin,,Admin,B,2,2\n").encode()  # fmt: skip
    result, _ = csv_import(actor=org.csm_a1, kind="stakeholders", data=data)
    assert result.created == 2 and result.errors == []
    data2 = data.replace(b"Wang CEO,wang@example.com,CEO", b"Wang CEO,WANG@example.com,Chairman")
    again, _ = csv_import(actor=org.csm_a1, kind="stakeholders", data=data2)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert Stakeholder.objects.get(email="wang@example.com").title == "Chairman"
    bad = (header + "NOPE,X,not-an-email,,Z,7,9\n").encode()
    result, _ = csv_import(actor=org.csm_a1, kind="stakeholders", data=bad)
    assert {e.column for e in result.errors} == {"account_external_id", "email", "tier", "key_level", "relationship"}


def test_large_file_imports_in_batches_not_per_row(org, django_assert_max_num_queries):
    rows = [f"BULK-{i:05d},Company {i},retail,{1000 + i},target,csm_a1,,active" for i in range(3000)]
    # Batched inserts (SQLite caps a statement at 999 variables, so ~80 rows each there;
    # PostgreSQL takes 2,000): far fewer statements than rows, none per row.
    with django_assert_max_num_queries(150):
        result, _ = csv_import(actor=org.csm_a1, kind="accounts", data=accounts_csv(*rows))
    assert result.created == 3000


def test_upload_page_result_and_rejected_download(client, org):
    client.force_login(org.csm_a1)
    upload = io.BytesIO(accounts_csv("CRM-1,Good,retail,1,target,,,active", "CRM-2,,retail,1,target,,,active"))
    upload.name = "crm.csv"
    response = client.post(reverse("accounts:import"), {"kind": "accounts", "file": upload})
    assert response.status_code == 302
    result_page = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-errors"' in result_page and "<code>name</code>" in result_page
    run = ImportRun.objects.get()
    download = client.get(reverse("accounts:import_rejected", args=[run.pk]))
    assert download["Content-Type"].startswith("text/csv")
    assert b"CRM-2" in download.content
    client.force_login(org.csm_a2)
    assert client.get(reverse("accounts:import_result", args=[run.pk])).status_code == 404


def test_upload_refuses_non_csv(client, org):
    client.force_login(org.csm_a1)
    upload = io.BytesIO(b"\x89PNG....")
    upload.name = "logo.png"
    response = client.post(reverse("accounts:import"), {"kind": "accounts", "file": upload})
    assert "file" in response.context["form"].errors


def test_api_import_400_with_errors_then_201(client, org):
    client.force_login(org.csm_a1)
    bad = io.BytesIO(accounts_csv("CRM-1,,retail,1,target,,,active"))
    bad.name = "a.csv"
    response = client.post("/api/v1/imports/", {"kind": "accounts", "file": bad})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 2, "column": "name", "reason": "Required."}]
    good = io.BytesIO(accounts_csv("CRM-1,Fine,retail,1,target,,,active"))
    good.name = "a.csv"
    assert client.post("/api/v1/imports/", {"kind": "accounts", "file": good}).status_code == 201
    assert client.post("/api/v1/imports/", {"kind": "nope"}).status_code == 400


def test_management_command(org, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_bytes(accounts_csv("CRM-1,Cmd Co,retail,1,target,,,active"))
    call_command("import_csv", str(path), "--as", "csm_a1")
    assert Account.objects.filter(external_id="CRM-1").exists()
    path.write_bytes(accounts_csv("CRM-5,,retail,1,target,,,active"))
    with pytest.raises(CommandError, match="Rejected"):
        call_command("import_csv", str(path), "--as", "csm_a1")


def test_export_respects_scope_and_filters(client, org):
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:export"), {"q": "account 0"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["name"] for r in rows] == ["csm_a1 account 0"]
    assert "segment" in rows[0] and "dossier_score" in rows[0]


def test_reimport_with_owners_does_not_query_per_row(org, django_assert_max_num_queries):
    rows = [f"OWN-{i:04d},Company {i},retail,{1000 + i},target,csm_a1,,active" for i in range(300)]
    data = accounts_csv(*rows)
    csv_import(actor=org.csm_a1, kind="accounts", data=data)
    with django_assert_max_num_queries(20):
        again, _ = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert again.unchanged == 300


def test_import_writes_the_timeline_rows_of_the_account_services(org):
    data = accounts_csv("CRM-1,Alpha Ltd,retail,1000,target,csm_a1,,active")
    csv_import(actor=org.manager_a, kind="accounts", data=data)
    account = Account.objects.get(external_id="CRM-1")
    created = TimelineEntry.objects.get(account=account)
    assert (created.kind, created.actor, created.is_touchpoint) == ("account_created", org.manager_a, False)
    moved = accounts_csv("CRM-1,Alpha Ltd,retail,1000,target,csm_a2,,active")
    csv_import(actor=org.manager_a, kind="accounts", data=moved)
    entry = TimelineEntry.objects.get(account=account, kind="owner_changed")
    assert entry.data == {"from": org.csm_a1.pk, "to": org.csm_a2.pk} and entry.actor == org.manager_a
    assert "→" in entry.title
    csv_import(actor=org.manager_a, kind="accounts", data=moved)  # unchanged: no new entry
    assert TimelineEntry.objects.filter(account=account).count() == 2


def test_rejected_import_writes_no_timeline_rows(org):
    data = accounts_csv("CRM-1,Good Co,retail,1,target,,,active", "CRM-2,Bad Co,retail,-1,target,,,active")
    result, _ = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert [(e.row, e.column) for e in result.errors] == [(3, "arr")]
    assert not TimelineEntry.objects.filter(account__external_id__in=["CRM-1", "CRM-2"]).exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.CSM])
def test_a_row_without_owner_gets_the_owner_account_create_gives(org, role):
    """A non-superuser admin leaves the account unassigned, as ``account_create`` does;
    a manager or a CSM owns it (else they could not see it afterwards)."""
    actor = make_person(role, username=f"plain_{role}")
    if role == Role.ADMIN:
        actor.is_staff = actor.is_superuser = False
        actor.save(update_fields=["is_staff", "is_superuser"])
    by_service = account_create(actor=actor, name="By hand", external_id="HAND-1")
    csv_import(actor=actor, kind="accounts", data=accounts_csv("CRM-1,By file,retail,1,target,,,active"))
    by_import = Account.objects.get(external_id="CRM-1")
    assert by_import.owner == by_service.owner == (None if role == Role.ADMIN else actor)


def test_too_long_values_are_refused_by_the_model_rules_with_row_and_field(org):
    data = accounts_csv(f"CRM-1,{'x' * 201},retail,1,target,,,active", f"{'y' * 101},Fine,retail,1,target,,,active")
    result, _ = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert [(e.row, e.column) for e in result.errors] == [(2, "name"), (3, "external_id")]
    assert all("at most" in e.reason for e in result.errors)
    assert not Account.objects.filter(name="Fine").exists()


def test_reimport_with_changes_updates_like_account_update(org):
    csv_import(actor=org.csm_a1, kind="accounts", data=accounts_csv("CRM-1,Alpha,retail,1000,target,,,active"))
    account = Account.objects.get(external_id="CRM-1")
    result, _ = csv_import(
        actor=org.csm_a1, kind="accounts", data=accounts_csv("CRM-1,Alpha Two,retail,2000,target,,,active")
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    changed = Account.objects.get(pk=account.pk)
    assert (changed.name, changed.arr, changed.owner) == ("Alpha Two", Decimal("2000.00"), org.csm_a1)
    assert changed.updated_at > account.updated_at
    assert changed.history.first().history_user == org.csm_a1


def test_an_import_that_crashes_leaves_no_run_and_no_rows(org, monkeypatch):
    """A fault mid-import (a bug, the database going away) rolls back the run row with
    the rows, so no run is left stuck at "Checking rows"."""
    import accounts.imports.runs as runs

    def crash(**kwargs):
        Account.objects.create(name="half-written")
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "_execute", crash)
    runs_before = ImportRun.objects.count()
    with pytest.raises(RuntimeError):
        csv_import(
            actor=org.csm_a1, kind="accounts", data=accounts_csv("CRM-9,Crash Ltd,retail,1,target,csm_a1,,active")
        )
    assert ImportRun.objects.count() == runs_before
    assert not Account.objects.filter(name="half-written").exists()
