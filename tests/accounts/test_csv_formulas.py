"""Issue 21, defect 2: the accounts export and the rejected-rows CSV neutralise formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.imports import csv_import
from accounts.models import ImportRun
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("x")'


def test_accounts_export_quotes_a_formula_and_keeps_arr_a_number(client, org):
    AccountFactory(owner=org.csm_a1, name=FORMULA, industry="retail")
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:export"), {"q": "HYPERLINK"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["name"] for row in rows] == [f"'{FORMULA}"]
    assert rows[0]["arr"] == "100000.00"


def test_rejected_rows_csv_quotes_a_formula(client, org):
    header = "external_id,name,industry,arr,icp_fit,owner,go_live_date,status\n"
    data = (header + 'CRM-1,"=HYPERLINK(""x"")",mining,1,target,,,active\n').encode()
    result, run = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert run.status == ImportRun.Status.REJECTED
    rows = list(csv.DictReader(io.StringIO(result.rejected_csv)))
    assert rows[0]["name"] == f"'{FORMULA}"
    client.force_login(org.csm_a1)
    download = client.get(reverse("accounts:import_rejected", args=[run.pk]))
    assert f"'{FORMULA}" in next(iter(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig")))))["name"]
