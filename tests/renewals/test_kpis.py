from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, IcpFit, Industry
from renewals.kpis import default_period, retention_kpis
from renewals.models import RenewalOpportunity, RenewalStatus
from renewals.services import contract_create, renewal_close
from tests.factories import AccountFactory
from tests.renewals.conftest import churn_reason, make_renewal

pytestmark = pytest.mark.django_db

START, END = date(2025, 1, 1), date(2025, 12, 31)
PERIOD = "start=2025-01-01&end=2025-12-31"


def renewal_for(account: Account, start: date, end: date, arr: str) -> RenewalOpportunity:
    contract = contract_create(actor=None, account=account, start_date=start, end_date=end, arr=Decimal(arr))
    return RenewalOpportunity.objects.get(contract=contract)


def close(renewal: RenewalOpportunity, outcome: str, arr: str | None = None) -> None:
    reason = churn_reason() if outcome == RenewalStatus.CHURNED else None
    renewal_close(
        renewal=renewal,
        outcome=outcome,
        outcome_arr=None if arr is None else Decimal(arr),
        churn_reason=reason,
        actor=None,
    )


def hand_worked_book(account: Account) -> None:
    """The book the formulas are worked out by hand for (period: calendar 2025).

    ========  =========================  ======  ===========  =======================
    renewal   contract                   ARR     outcome      counts?
    ========  =========================  ======  ===========  =======================
    R1        2024-04-01 .. 2025-03-31   100     renewed 120  yes (+20 upgrade)
    R2        2024-07-01 .. 2025-06-30   200     downgr. 150  yes (−50 downgrade)
    R3        2024-10-01 .. 2025-09-30   100     churned      yes (100 churned)
    R4        2024-12-01 .. 2025-11-30    50     open         due, open: no rate
    R5        2025-03-01 .. 2026-02-28    80     open         no (due after the end)
    R6        2025-07-15 .. 2025-10-14    40     renewed 40   yes: starts mid-period
    ========  =========================  ======  ===========  =======================

    The periods the closes open (R1 → 2026-03-31, R6 → 2026-01-14 …) end after the
    period, so they are not due in it.
    """
    close(renewal_for(account, date(2024, 4, 1), date(2025, 3, 31), "100"), RenewalStatus.RENEWED, "120")
    close(renewal_for(account, date(2024, 7, 1), date(2025, 6, 30), "200"), RenewalStatus.DOWNGRADED, "150")
    close(renewal_for(account, date(2024, 10, 1), date(2025, 9, 30), "100"), RenewalStatus.CHURNED)
    renewal_for(account, date(2024, 12, 1), date(2025, 11, 30), "50")
    renewal_for(account, date(2025, 3, 1), date(2026, 2, 28), "80")
    close(renewal_for(account, date(2025, 7, 15), date(2025, 10, 14), "40"), RenewalStatus.RENEWED, "40")


def test_formulas_match_the_hand_worked_example(org):
    hand_worked_book(org.accounts["csm_a1"][0])
    (row,) = retention_kpis(user=org.admin, start=START, end=END).rows
    assert (row.due, row.closed, row.open) == (5, 4, 1)
    # beginning = 100 + 200 + 100 + 40 = 440 (R4 is open, R5 is due in 2026)
    assert row.beginning_arr == Decimal("440")
    assert (row.upgrade_arr, row.downgrade_arr, row.churned_arr) == (Decimal("20"), Decimal("50"), Decimal("100"))
    assert row.grr == Decimal("0.6591")  # (440 − 50 − 100) / 440 = 290 / 440
    assert row.ndr == Decimal("0.7045")  # (440 + 20 − 50 − 100) / 440 = 310 / 440
    assert row.logo_renewal_rate == Decimal("0.7500")  # R1, R2, R6 of 4 closed
    assert row.revenue_renewal_rate_pure == Decimal("0.6591")  # (100 + 150 + 40) / 440
    assert row.revenue_renewal_rate_expansion == Decimal("0.7045")  # (120 + 150 + 40) / 440


def test_the_mid_period_contract_alone(org):
    account = org.accounts["csm_a1"][0]
    close(renewal_for(account, date(2025, 7, 15), date(2025, 10, 14), "40"), RenewalStatus.RENEWED, "60")
    (row,) = retention_kpis(user=org.admin, start=START, end=END).rows
    # Its renewal is due inside; the period it opened (2025-10-15 .. 2026-01-14) is not.
    assert (row.due, row.closed, row.beginning_arr, row.upgrade_arr) == (1, 1, Decimal("40"), Decimal("20"))
    assert row.ndr == Decimal("1.5000") and row.grr == Decimal("1.0000")
    assert row.revenue_renewal_rate_pure == Decimal("1.0000")
    # Only the renewal's due date counts: a period ending before it sees nothing.
    (empty,) = retention_kpis(user=org.admin, start=START, end=date(2025, 10, 13)).rows
    assert empty.due == 0


def test_zero_beginning_gives_none_not_a_division_error(org):
    account = org.accounts["csm_a1"][0]
    (nothing,) = retention_kpis(user=org.admin, start=START, end=END).rows
    assert nothing.due == 0
    assert nothing.grr is None and nothing.ndr is None and nothing.logo_renewal_rate is None
    assert nothing.revenue_renewal_rate_pure is None and nothing.revenue_renewal_rate_expansion is None
    renewal_for(account, date(2024, 6, 1), date(2025, 5, 31), "100")  # open: no outcome yet
    close(renewal_for(account, date(2024, 7, 1), date(2025, 6, 30), "0"), RenewalStatus.CHURNED)  # a free plan
    (row,) = retention_kpis(user=org.admin, start=START, end=END).rows
    assert (row.due, row.closed, row.open, row.beginning_arr) == (2, 1, 1, Decimal("0"))
    assert row.grr is None and row.ndr is None and row.revenue_renewal_rate_pure is None
    assert row.logo_renewal_rate == Decimal("0")  # one closed, none kept


def test_grouping_by_team_goes_through_the_owners_profile(org):
    close(renewal_for(org.accounts["csm_a1"][0], date(2024, 3, 1), date(2025, 2, 28), "100"), "renewed", "100")
    close(renewal_for(org.accounts["csm_a2"][0], date(2024, 3, 1), date(2025, 2, 28), "100"), "churned")
    renewal_for(org.accounts["csm_b1"][0], date(2024, 3, 1), date(2025, 2, 28), "70")
    renewal_for(org.unassigned, date(2024, 3, 1), date(2025, 2, 28), "10")
    table = retention_kpis(user=org.admin, start=START, end=END, group_by="team")
    by_label = {row.label: row for row in table.rows}
    assert list(by_label) == ["Team A", "Team B", "No team"]
    assert (by_label["Team A"].due, by_label["Team A"].grr) == (2, Decimal("0.5000"))
    assert by_label["Team B"].open == 1 and by_label["Team B"].grr is None
    assert by_label["Team A"].filters["team"] == str(org.team_a.pk)
    csm = {row.label: row.due for row in retention_kpis(user=org.admin, start=START, end=END, group_by="csm").rows}
    assert sorted(csm.values()) == [1, 1, 1, 1] and "Unassigned" in csm


def test_icp_fit_shows_target_and_exploratory_side_by_side(org, client):
    target = org.accounts["csm_a1"][0]
    exploratory = org.accounts["csm_a1"][1]
    Account.objects.filter(pk=exploratory.pk).update(icp_fit=IcpFit.EXPLORATORY, industry=Industry.RETAIL)
    close(renewal_for(target, date(2024, 3, 1), date(2025, 2, 28), "100"), "renewed", "100")
    close(renewal_for(exploratory, date(2024, 3, 1), date(2025, 2, 28), "100"), "churned")
    rows = retention_kpis(user=org.admin, start=START, end=END, group_by="icp_fit").rows
    assert [(row.key, row.logo_renewal_rate) for row in rows] == [
        (IcpFit.TARGET, Decimal("1.0000")),
        (IcpFit.EXPLORATORY, Decimal("0.0000")),
    ]
    Account.objects.filter(pk=exploratory.pk).update(icp_fit=IcpFit.TARGET)
    rows = retention_kpis(user=org.admin, start=START, end=END, group_by="icp_fit").rows
    assert [(row.key, row.due) for row in rows] == [(IcpFit.TARGET, 2), (IcpFit.EXPLORATORY, 0)]
    client.force_login(org.admin)
    page = client.get(f"/renewals/kpis/?{PERIOD}&group_by=icp_fit").content.decode()
    assert page.count('data-testid="kpi-group"') == 2
    industries = retention_kpis(user=org.admin, start=START, end=END, group_by="industry").rows
    assert {row.key for row in industries} == {Industry.MANUFACTURING, Industry.RETAIL}
    segments = retention_kpis(user=org.admin, start=START, end=END, group_by="segment").rows
    assert sum(row.due for row in segments) == 2


def test_a_csm_sees_only_their_own_accounts(org, client):
    hand_worked_book(org.accounts["csm_a1"][0])
    close(renewal_for(org.accounts["csm_b1"][0], date(2024, 3, 1), date(2025, 2, 28), "999"), "churned")
    (mine,) = retention_kpis(user=org.csm_a1, start=START, end=END).rows
    assert mine.due == 5 and mine.churned_arr == Decimal("100")
    (theirs,) = retention_kpis(user=org.csm_a2, start=START, end=END).rows
    assert theirs.due == 0
    client.force_login(org.csm_a1)
    body = client.get(f"/api/v1/renewals/kpis/?{PERIOD}&group_by=csm").json()
    assert [(row["label"], row["due"], row["churned_arr"]) for row in body["rows"]] == [
        (org.csm_a1.get_full_name() or "csm_a1", 5, "100.00")
    ]
    assert body["rows"][0]["ndr"] == "0.7045"
    (manager,) = retention_kpis(user=org.manager_b, start=START, end=END).rows
    assert manager.due == 1 and manager.churned_arr == Decimal("999")


def test_each_figure_links_to_the_renewals_behind_it(org, client):
    hand_worked_book(org.accounts["csm_a1"][0])
    renewal_for(org.accounts["csm_b1"][0], date(2024, 3, 1), date(2025, 2, 28), "70")
    renewal_for(org.unassigned, date(2024, 3, 1), date(2025, 2, 28), "10")
    client.force_login(org.admin)
    for group_by in ("company", "team", "csm", "segment", "industry", "icp_fit"):
        table = retention_kpis(user=org.admin, start=START, end=END, group_by=group_by)
        for row in table.rows:
            for cell in row.cells:
                if cell.figure.kind != "count":
                    continue
                listed = client.get(f"/renewals/?{cell.query}").context["page"].paginator.count
                assert listed == cell.value, (group_by, row.label, cell.figure.key)
    page = client.get(f"/renewals/kpis/?{PERIOD}").content.decode()
    assert 'data-testid="kpi-churned_arr"' in page and "due_from=2025-01-01" in page


def test_page_defaults_validation_and_api(org, client):
    assert default_period(date(2025, 5, 17)) == (date(2024, 4, 1), date(2025, 3, 31))
    assert default_period(date(2025, 1, 1)) == (date(2024, 1, 1), date(2024, 12, 31))
    client.force_login(org.csm_a1)
    response = client.get("/renewals/kpis/")
    assert response.status_code == 200
    assert response.context["form"].is_valid() and response.context["table"].group_by == "company"
    assert client.get("/renewals/kpis/?start=2025-02-01&end=2025-01-01").status_code == 400
    assert client.get("/renewals/kpis/?group_by=galaxy").status_code == 400
    bad = client.get("/api/v1/renewals/kpis/?start=yesterday")
    assert bad.status_code == 400 and "start" in bad.json()
    assert client.get("/api/v1/renewals/kpis/?group_by=team").json()["group_by"] == "team"
    assert 'href="/renewals/kpis/"' in client.get("/renewals/").content.decode()
    client.logout()
    assert client.get("/api/v1/renewals/kpis/").status_code in (401, 403)
    assert client.get("/renewals/kpis/").status_code == 302


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def add_book(org, n: int) -> None:
    owners = [org.csm_a1, org.csm_a2, org.csm_b1, None]
    for i in range(n):
        account = AccountFactory(owner=owners[i % 4], icp_fit=IcpFit.values[i % 2], arr=Decimal(1000 * i))
        renewal = make_renewal(account=account, today=date(2025, 1, 1), days_left=i * 7, arr=str(100 + i))
        if i % 3 == 1:
            close(renewal, RenewalStatus.RENEWED, str(150 + i))
        elif i % 3 == 2:
            close(renewal, RenewalStatus.CHURNED)


@pytest.mark.parametrize("group_by", ["company", "team", "csm", "segment", "industry", "icp_fit"])
def test_kpi_page_and_api_query_count_is_constant(client, org, group_by):
    client.force_login(org.admin)
    urls = [f"/renewals/kpis/?{PERIOD}&group_by={group_by}", f"/api/v1/renewals/kpis/?{PERIOD}&group_by={group_by}"]
    add_book(org, 5)
    five = [count_queries(client, url) for url in urls]
    add_book(org, 45)
    fifty = [count_queries(client, url) for url in urls]
    assert five == fifty


def test_segment_rows_follow_the_segment_bands_at_every_boundary(org):
    """Grouped by segment, each renewal counts in the segment its account's ARR is in,
    at every band's lower bound and just below it, as ``segment_for_arr`` says."""
    from accounts.segments import segment_bands, segment_for_arr

    arrs = [Decimal("0")]
    for _key, lower in segment_bands()[:-1]:
        arrs += [lower, lower - Decimal("0.01")]
    expected: dict[str, int] = {}
    for index, arr in enumerate(arrs):
        account = AccountFactory(owner=org.csm_a1, arr=arr)
        renewal_for(account, date(2024, 3 + index % 9, 1), date(2025, 2 + index % 9, 1), "100")
        expected[segment_for_arr(arr)] = expected.get(segment_for_arr(arr), 0) + 1
    rows = retention_kpis(user=org.admin, start=START, end=END, group_by="segment").rows
    assert {row.key: row.due for row in rows} == expected
    assert len(expected) == len(segment_bands())  # every segment was exercised
