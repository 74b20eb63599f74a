"""The KPI page's trend charts: rates over the ARR in force and activation/activity per
quarter, scoped to the viewer, in a constant number of queries."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import IcpFit
from org.models import Role
from renewals.adoption_kpis import adoption_report
from renewals.ledger import arr_ledger_rebuild
from renewals.ledger_kpis import ledger_report, ledger_retention, quarter_buckets
from tests.factories import AccountFactory
from tests.renewals.test_adoption_kpis import hand_worked as adoption_book
from tests.renewals.test_adoption_kpis import live, used
from tests.renewals.test_ledger_kpis import contract, hand_worked_quarter

pytestmark = pytest.mark.django_db

H1 = (date(2025, 1, 1), date(2025, 6, 30))
PERIOD = "start=2025-01-01&end=2025-06-30"
FIGURES = ("n_start", "n_retained", "start_arr", "end_arr", "expansion", "contraction", "churn", "reactivation", "new")


def charts(body: str) -> dict[str, dict[str, Any]]:
    """Every chart spec on a page, by its chart id."""
    found = re.findall(r'<script id="([\w-]+)-data" type="application/json">(.*?)</script>', body, re.S)
    return {chart_id: json.loads(data) for chart_id, data in found}


def values(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in FIGURES)


def test_quarter_buckets_clip_to_the_period():
    assert quarter_buckets(date(2025, 2, 15), date(2025, 4, 1)) == [
        (date(2025, 2, 15), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 4, 1)),
    ]
    assert quarter_buckets(date(2025, 10, 1), date(2026, 1, 31))[-1] == (date(2026, 1, 1), date(2026, 1, 31))


@pytest.mark.parametrize("group_by", ["company", "csm", "team", "segment", "industry", "icp_fit"])
def test_each_trend_point_is_that_quarters_own_cohort(org, group_by):
    """H1 2025 of the hand-worked book: the Q2 point is the hand-worked quarter (NDR
    86.96 %, GRR 56.52 %, logo 75 %), and every point equals the table of its quarter
    asked on its own, group by group."""
    hand_worked_quarter(org)
    table, trend = ledger_report(user=org.admin, start=H1[0], end=H1[1], group_by=group_by)
    assert trend is not None and trend.labels == ["2025 Q1", "2025 Q2"]
    q2 = trend.total[1]
    assert (q2.ndr, q2.grr, q2.logo_retention) == (Decimal("0.8696"), Decimal("0.5652"), Decimal("0.7500"))
    for index, (first, last) in enumerate(quarter_buckets(*H1)):
        (company,) = ledger_retention(user=org.admin, start=first, end=last).rows
        assert values(trend.total[index]) == values(company), first
        if group_by in ("csm", "team"):
            # By owner at each quarter's start: the total only (one line per chart).
            assert trend.groups == []
            continue
        alone = ledger_retention(user=org.admin, start=first, end=last, group_by=group_by)
        by_key = {key: line[index] for key, _label, line in trend.groups}
        for row in alone.rows:
            assert values(by_key[row.key]) == values(row), (first, row.key)
    # The period's own table is unchanged by the trend beside it.
    assert [values(row) for row in table.rows] == [
        values(row) for row in ledger_retention(user=org.admin, start=H1[0], end=H1[1], group_by=group_by).rows
    ]


def test_a_quarter_without_starting_arr_stays_on_the_axis(org, client):
    """Nothing in force before 2025: Q1's rates are gaps (null), not a skipped quarter."""
    hand_worked_quarter(org)
    client.force_login(org.admin)
    body = client.get("/renewals/kpis/?start=2024-01-01&end=2025-06-30").content.decode()
    specs = charts(body)
    ndr = specs["kpi-ledger-ndr"]
    assert ndr["labels"] == ["2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4", "2025 Q1", "2025 Q2"]
    assert ndr["series"][0]["values"][0] is None
    assert ndr["series"][0]["values"][-1] == pytest.approx(0.8696)
    assert ndr["yTitle"] and ndr["xTitle"] and ndr["title"]
    assert specs["kpi-ledger-grr"]["series"][0]["values"][-1] == pytest.approx(0.5652)
    assert specs["kpi-ledger-logo"]["series"][0]["values"][-1] == pytest.approx(0.75)


def test_activation_and_active_rate_charts_per_quarter(org, client):
    """The adoption book's hand-worked quarters: activation 2/4 then 1/1, active 2/5 then 1/6."""
    adoption_book(org)
    client.force_login(org.admin)
    specs = charts(client.get(f"/renewals/kpis/?{PERIOD}").content.decode())
    activation, active = specs["kpi-activation"], specs["kpi-active"]
    assert activation["labels"] == active["labels"] == ["2025 Q1", "2025 Q2"]
    assert activation["series"][0]["values"] == [0.5, 1.0]
    assert active["series"][0]["values"] == [pytest.approx(0.4), pytest.approx(1 / 6, abs=1e-4)]
    assert activation["yMax"] == 1 and activation["yTitle"]


def test_grouped_charts_draw_a_line_per_group_and_the_total(org, client):
    hand_worked_quarter(org)
    account = AccountFactory(owner=org.csm_b1, name="Other team")
    contract(account, date(2024, 1, 1), date(2025, 12, 31), "1000")
    arr_ledger_rebuild()
    live(org.csm_a1, "Live here", date(2025, 2, 1))
    live(org.csm_b1, "Live there", date(2025, 5, 1))
    client.force_login(org.admin)
    specs = charts(client.get(f"/renewals/kpis/?{PERIOD}&group_by=industry").content.decode())
    labels = [series["label"] for series in specs["kpi-ledger-ndr"]["series"]]
    assert len(labels) >= 2 and labels[-1] == "All shown"
    assert specs["kpi-ledger-ndr"]["series"][-1]["dashed"] is True
    specs = charts(client.get(f"/renewals/kpis/?{PERIOD}&group_by=csm").content.decode())
    assert len(specs["kpi-activation"]["series"]) == 3  # csm_a1, csm_b1, all shown
    assert len(specs["kpi-ledger-ndr"]["series"]) == 1  # by owner at each start: the total


def test_a_csms_charts_aggregate_only_their_accounts(org, client):
    """csm_b1's big account counts for the admin, never on csm_a1's page or charts."""
    hand_worked_quarter(org)
    other = AccountFactory(owner=org.csm_b1, name="Not yours", icp_fit=IcpFit.TARGET)
    contract(other, date(2024, 1, 1), date(2025, 12, 31), "1000")
    arr_ledger_rebuild()
    launched = [
        adoption_report(user=user, start=H1[0], end=H1[1]).total[1].launched for user in (org.csm_a1, org.admin)
    ]
    live(org.csm_b1, "Not yours either", date(2025, 4, 2))
    after = [adoption_report(user=user, start=H1[0], end=H1[1]).total[1].launched for user in (org.csm_a1, org.admin)]
    assert after == [launched[0], launched[1] + 1]
    _table, mine = ledger_report(user=org.csm_a1, start=H1[0], end=H1[1])
    _table, everyone = ledger_report(user=org.admin, start=H1[0], end=H1[1])
    assert mine is not None and everyone is not None
    assert mine.total[1].start_arr == Decimal("460")
    assert everyone.total[1].start_arr == Decimal("1460")

    client.force_login(org.csm_a1)
    body = client.get(f"/renewals/kpis/?{PERIOD}&group_by=csm").content.decode()
    specs = charts(body)
    assert "Not yours" not in body
    groups = {series["label"] for series in specs["kpi-ledger-ndr"]["series"]}
    assert org.csm_b1.get_full_name() not in groups and org.csm_b1.username not in groups
    # Q2's NDR on csm_a1's page is that of their own book alone.
    assert specs["kpi-ledger-ndr"]["series"][-1]["values"][-1] == pytest.approx(0.8696)


def _page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(org, csms: int, accounts: int) -> None:
    from org.services import person_create

    owners = [
        person_create(username=f"trend.csm.{org.team_a.pk}.{index}.{csms}", role=Role.CSM, team=org.team_a)
        for index in range(csms)
    ]
    for index in range(accounts):
        account = live(owners[index % len(owners)], f"Grown {csms}.{index}", date(2025, 1 + index % 6, 3), seats=(4,))
        contract(
            account, date(2024, 7, 1), date(2025, 12, 31) if index % 3 == 1 else date(2025, 3, 31), str(50 + index)
        )
        used(account, date(2025, 3, 20), users=3)
    arr_ledger_rebuild()


@pytest.mark.parametrize("group_by", ["company", "csm", "team", "segment"])
def test_page_queries_constant_with_1_and_20_accounts_and_csms(org, client, group_by):
    client.force_login(org.admin)
    url = f"/renewals/kpis/?{PERIOD}&group_by={group_by}"
    _grow(org, 1, 1)
    few = _page_queries(client, url)
    _grow(org, 20, 20)
    many = _page_queries(client, url)
    assert few == many
    assert few <= 15


def test_a_csms_page_queries_are_as_few(org, client):
    client.force_login(org.csm_a1)
    _grow(org, 1, 1)
    assert _page_queries(client, f"/renewals/kpis/?{PERIOD}&group_by=csm") <= 15
