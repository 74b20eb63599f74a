"""The NPS page: figures by period and group against hand counts, scope, the responses
behind each figure, the CSV upload (all or nothing), query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.people import display_name
from health.models import NpsResponse
from health.selectors import nps_report, period_start
from tests.conftest import login
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def answers(account, day, *scores):
    return NpsResponse.objects.bulk_create(
        [NpsResponse(account=account, score=s, responded_on=day, comment=f"c{s}") for s in scores]
    )


def this_month() -> date:
    return period_start(timezone.localdate(), "month")


def last_month() -> date:
    return period_start(this_month() - timedelta(days=1), "month")


def test_nps_by_month_and_by_csm_by_hand(org):
    a1, a2, b1 = org.accounts["csm_a1"][0], org.accounts["csm_a2"][0], org.accounts["csm_b1"][0]
    answers(a1, this_month(), 10, 9, 8, 3)  # 2 promoters, 1 detractor of 4 → +25
    answers(a2, this_month(), 0)  # → −100; this month together: 2 promoters, 2 detractors of 5 → 0
    answers(a1, last_month(), 10, 10)  # → +100
    answers(b1, this_month(), 10)  # team B: not the manager's
    report = nps_report(user=org.manager_a, period="month", group_by="owner")
    assert [(f.nps, f.responses) if f else None for f in report.trend[-2:]] == [
        (100.0, 2),
        (0.0, 5),
    ]  # this month: 2 promoters, 2 detractors of 5
    # Whole range by CSM: a1 4 promoters + 1 detractor of 6 = +50; a2 −100.
    assert {row.label: (row.figure.nps, row.figure.responses) for row in report.rows} == {
        display_name(org.csm_a1): (50.0, 6),
        display_name(org.csm_a2): (-100.0, 1),
    }
    only_last = nps_report(user=org.manager_a, group_by="owner", selected=last_month())
    assert [(row.label, row.figure.nps) for row in only_last.rows] == [(display_name(org.csm_a1), 100.0)]
    assert only_last.responses.count() == 2


def test_scope_csm_manager_admin(org):
    for username in ("csm_a1", "csm_a2", "csm_b1"):
        answers(org.accounts[username][0], this_month(), 9)
    counts = {
        user.username: nps_report(user=user, group_by="company").rows[0].figure.responses
        for user in (org.csm_a1, org.manager_a, org.manager_b, org.admin)
    }
    assert counts == {"csm_a1": 1, "manager_a": 2, "manager_b": 1, "admin": 3}


def test_by_quarter_and_segment(org):
    account = org.accounts["csm_a1"][0]
    answers(account, this_month(), 10, 0)
    report = nps_report(user=org.csm_a1, period="quarter", group_by="segment")
    assert report.trend[-1] is not None and report.trend[-1].nps == 0.0
    assert report.periods[-1] == period_start(timezone.localdate(), "quarter")
    assert len(report.rows) == 1 and report.rows[0].figure.responses == 2


def test_page_shows_figures_chart_and_responses_behind_a_group(org):
    mine, other = org.accounts["csm_a1"]
    answers(mine, this_month(), 10, 2)
    answers(other, this_month(), 9)
    client = login(Client(), org.csm_a1)
    page = client.get("/health/nps/?period=month&by=account").content.decode()
    assert 'id="nps-trend-chart"' in page and "NPS by month" in page
    assert page.count('data-testid="nps-group"') == 2
    assert page.count('data-testid="nps-response"') == 3
    behind = client.get(f"/health/nps/?period=month&by=account&key={mine.pk}").content.decode()
    assert behind.count('data-testid="nps-response"') == 2 and "c2" in behind and "c9" not in behind


def test_nav_has_nps(org):
    page = login(Client(), org.csm_a1).get("/health/nps/").content.decode()
    assert 'href="/health/nps/"' in page


def test_other_people_responses_are_not_shown(org):
    answers(org.accounts["csm_b1"][0], this_month(), 3)
    page = login(Client(), org.csm_a1).get(f"/health/nps/?by=account&key={org.accounts['csm_b1'][0].pk}")
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="nps-response"') == 0


def upload(client, text: str):
    return client.post("/health/nps/import/", {"file": SimpleUploadedFile("nps.csv", text.encode(), "text/csv")})


def test_csv_upload_imports_all_rows(org):
    account = org.accounts["csm_a1"][0]
    client = login(Client(), org.csm_a1)
    text = (
        "account_external_id,score,responded_on,comment,external_id\n"
        f"{account.external_id},10,2025-05-02,Great,r1\n"
        f"{account.external_id},4,2025-05-03,Slow,r2\n"
    )
    response = upload(client, text)
    assert response.status_code == 302
    assert sorted(NpsResponse.objects.values_list("external_id", "score")) == [("r1", 10), ("r2", 4)]
    again = client.get(response["Location"])
    assert "Imported 2 responses (0 already known)." in again.content.decode()
    upload(client, text)
    assert NpsResponse.objects.count() == 2  # the same external ids are skipped


def test_csv_upload_with_bad_rows_stores_nothing_and_names_every_row(org):
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    client = login(Client(), org.csm_a1)
    response = upload(
        client,
        "account_external_id,score,responded_on\n"
        f"{mine.external_id},10,2025-05-02\n"
        f"{mine.external_id},11,2025-05-02\n"
        f"{theirs.external_id},5,2025-13-01\n",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Row 3, score: Give a whole number from 0 to 10." in page
    assert "Row 4, account_external_id: No such account in your scope." in page
    assert "Row 4, responded_on: Give a date as YYYY-MM-DD." in page
    assert NpsResponse.objects.count() == 0


def test_csv_upload_missing_column_and_empty_form(org):
    client = login(Client(), org.csm_a1)
    response = upload(client, "score,responded_on\n9,2025-05-02\n")
    assert response.status_code == 400
    assert "Row 1, account_external_id: Missing column." in response.content.decode()
    assert client.post("/health/nps/import/", {}).status_code == 400
    assert NpsResponse.objects.count() == 0


def test_import_requires_login(client):
    response = client.post("/health/nps/import/", {})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_query_count_is_constant(org):
    client = login(Client(), org.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/health/nps/?by=owner").status_code == 200
        return len(context)

    answers(org.accounts["csm_a1"][0], this_month(), 9)
    small = count()
    for n in range(20):
        account = AccountFactory(owner=org.csm_b1 if n % 2 else org.csm_a2)
        answers(account, last_month() if n % 3 else this_month(), n % 11, 10)
    assert count() == small
