"""Initial activation rate and active rate per quarter, against hand-worked quarters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, AccountStatus, PurchasedProduct
from core.pg_tuning import aggregate_report
from health.models import DailyRollup
from renewals.adoption_kpis import adoption_report, quarters_of
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

H1 = (date(2025, 1, 1), date(2025, 6, 30))
PERIOD = "start=2025-01-01&end=2025-06-30"


def used(account: Account, day: date, *, users: int = 1, events: int = 10) -> None:
    DailyRollup.objects.create(account=account, day=day, events=events, active_users=users)


def live(owner: Any, name: str, go_live: date, *, seats: tuple[int, ...] = (), **fields: Any) -> Account:
    account = cast(Account, AccountFactory(owner=owner, name=name, go_live_date=go_live, **fields))
    for number in seats:
        PurchasedProduct.objects.create(account=account, product=f"P{number}", seats=number)
    return account


def hand_worked(org) -> dict[str, Account]:
    """csm_a1's book over Q1 and Q2 2025 (30-day activation window, half the seats).

    ====  ==========  =====  ===========================================  ==========
    acct  go-live     seats  usage                                        activated
    ====  ==========  =====  ===========================================  ==========
    A     2025-01-10  —      Feb 8 (day 30 of the window, the last one)   yes (Q1)
    B     2025-01-20  —      Feb 19 (day 31: too late), Mar 15            no  (Q1)
    C     2025-02-01  6+4    Feb 5: 4 users; Feb 10: 5 users; Jun 30      yes (Q1)
    D     2025-03-01  10     Mar 3: 4 users (usage, but < 5 of 10 seats)  no  (Q1)
    E     2025-02-15  —      Feb 16, Mar 20 — churned: left out           —
    F     2024-06-01  —      none (live, silent)                          —
    G     2025-04-05  —      Apr 6; May 31 on A (one day too early)       yes (Q2)
    ====  ==========  =====  ===========================================  ==========

    Q1: activation 2 / 4 (A, C); live at Mar 31: A B C D F = 5; active Mar 2–31: B, D → 2 / 5.
    Q2: activation 1 / 1 (G); live at Jun 30: 6; active Jun 1–30: C → 1 / 6.
    """
    owner = org.csm_a1
    books = {
        "A": live(owner, "A", date(2025, 1, 10)),
        "B": live(owner, "B", date(2025, 1, 20)),
        "C": live(owner, "C", date(2025, 2, 1), seats=(6, 4)),
        "D": live(owner, "D", date(2025, 3, 1), seats=(10,)),
        "E": live(owner, "E", date(2025, 2, 15), status=AccountStatus.CHURNED),
        "F": live(owner, "F", date(2024, 6, 1)),
        "G": live(owner, "G", date(2025, 4, 5)),
    }
    used(books["A"], date(2025, 2, 8))
    used(books["A"], date(2025, 5, 31))
    used(books["B"], date(2025, 2, 19))
    used(books["B"], date(2025, 3, 15))
    used(books["C"], date(2025, 2, 5), users=4)
    used(books["C"], date(2025, 2, 10), users=5)
    used(books["C"], date(2025, 6, 30))
    used(books["D"], date(2025, 3, 3), users=4)
    used(books["E"], date(2025, 2, 16))
    used(books["E"], date(2025, 3, 20))
    used(books["G"], date(2025, 4, 6))
    return books


def figures(cells: list[Any]) -> list[tuple[int, int, int, int]]:
    return [(cell.activated, cell.launched, cell.active, cell.live) for cell in cells]


def test_the_hand_worked_quarters(org):
    hand_worked(org)
    table = adoption_report(user=org.admin, start=H1[0], end=H1[1])
    assert table.labels == ["2025 Q1", "2025 Q2"]
    [company] = table.rows
    assert figures(company.cells) == [(2, 4, 2, 5), (1, 1, 1, 6)]
    q1, q2 = company.cells
    assert q1.activation_rate == Decimal("0.5") and q1.active_rate == Decimal("0.4")
    assert q2.activation_rate == Decimal("1") and q2.active_rate == Decimal("0.1667")
    assert figures(table.total) == figures(company.cells)


def test_seats_criterion_follows_the_settings(org, settings):
    hand_worked(org)
    # 40 % of the seats: D's 4 users of 10 now count, C's Feb 5 already did.
    settings.HOURGLASS_ACTIVATION_MIN_ACTIVE_SHARE = 0.4
    [row] = adoption_report(user=org.admin, start=H1[0], end=H1[1]).rows
    assert figures(row.cells)[0] == (3, 4, 2, 5)
    # A 29-day window loses A's usage on its 30th day.
    settings.HOURGLASS_ACTIVATION_MIN_ACTIVE_SHARE = 0.5
    settings.HOURGLASS_ACTIVATION_DAYS = 29
    [row] = adoption_report(user=org.admin, start=H1[0], end=H1[1]).rows
    assert figures(row.cells)[0] == (1, 4, 2, 5)


def test_nothing_live_gives_dashes_not_errors(org, client):
    table = adoption_report(user=org.admin, start=H1[0], end=H1[1])
    assert table.rows == [] and [cell.activation_rate for cell in table.total] == [None, None]
    client.force_login(org.admin)
    page = client.get(f"/renewals/kpis/?{PERIOD}").content.decode()
    assert 'data-testid="adoption-table"' in page and "No live accounts in this period." in page


def test_groups_and_scope(org, client):
    hand_worked(org)
    other = live(org.csm_b1, "H", date(2025, 1, 5))
    used(other, date(2025, 1, 6))
    used(other, date(2025, 6, 1))

    by_csm = adoption_report(user=org.admin, start=H1[0], end=H1[1], group_by="csm")
    assert {row.key: figures(row.cells) for row in by_csm.rows} == {
        str(org.csm_a1.pk): [(2, 4, 2, 5), (1, 1, 1, 6)],
        str(org.csm_b1.pk): [(1, 1, 0, 1), (0, 0, 1, 1)],
    }
    assert figures(by_csm.total) == [(3, 5, 2, 6), (1, 1, 2, 7)]
    by_team = adoption_report(user=org.admin, start=H1[0], end=H1[1], group_by="team")
    assert [row.label for row in by_team.rows] == ["Team A", "Team B"]
    by_fit = adoption_report(user=org.admin, start=H1[0], end=H1[1], group_by="icp_fit")
    assert [row.key for row in by_fit.rows] == ["target"]
    by_segment = adoption_report(user=org.admin, start=H1[0], end=H1[1], group_by="segment")
    assert figures(by_segment.total) == figures(by_csm.total)

    # A CSM sees only their own book, a manager only their team's.
    for user, expected in (
        (org.csm_a1, [(2, 4, 2, 5), (1, 1, 1, 6)]),
        (org.manager_a, [(2, 4, 2, 5), (1, 1, 1, 6)]),
        (org.csm_b1, [(1, 1, 0, 1), (0, 0, 1, 1)]),
        (org.manager_b, [(1, 1, 0, 1), (0, 0, 1, 1)]),
        (org.csm_a2, [(0, 0, 0, 0), (0, 0, 0, 0)]),
    ):
        table = adoption_report(user=user, start=H1[0], end=H1[1], group_by="csm")
        assert figures(table.total) == expected, user.username

    client.force_login(org.csm_b1)
    page = client.get(f"/renewals/kpis/?{PERIOD}&group_by=csm").content.decode()
    assert 'data-testid="adoption-chart"' in page
    names = {row.key: row.label for row in by_csm.rows}
    assert names[str(org.csm_b1.pk)] in page and names[str(org.csm_a1.pk)] not in page
    assert "100.0%" in page and "1/1" in page


def test_page_shows_the_rates_in_chinese(org, client):
    hand_worked(org)
    client.force_login(org.admin)
    page = client.get(f"/renewals/kpis/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "初期成功激活率" in page and "所属客户活跃率" in page


def test_bad_period_shows_no_rates(org, client):
    client.force_login(org.admin)
    response = client.get("/renewals/kpis/?start=2025-06-30&end=2025-01-01")
    assert response.status_code == 400
    assert 'data-testid="adoption-table"' not in response.content.decode()


def test_queries_constant_in_book_size(org, client):
    def count(group_by: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            adoption_report(user=org.manager_a, start=H1[0], end=H1[1], group_by=group_by)
        return len(queries)

    live(org.csm_a1, "first", date(2025, 1, 10))
    small = {group_by: count(group_by) for group_by in ("company", "csm", "segment")}
    for index in range(20):
        account = live(org.csm_a1 if index % 2 else org.csm_a2, f"more {index}", date(2025, 2, 1), seats=(5,))
        used(account, date(2025, 2, 2), users=3)
        used(account, date(2025, 3, 30))
    assert {group_by: count(group_by) for group_by in small} == small
    # One statement: the launches and the active accounts, owners' names included.
    assert small == {"company": 1, "csm": 1, "segment": 1}

    client.force_login(org.manager_a)
    with CaptureQueriesContext(connection) as page:
        assert client.get(f"/renewals/kpis/?{PERIOD}&group_by=csm").status_code == 200
    assert len(page) <= 15, [query["sql"][:120] for query in page.captured_queries]


def test_quarters_of_a_period():
    assert quarters_of(date(2025, 2, 15), date(2025, 4, 1)) == [date(2025, 1, 1), date(2025, 4, 1)]
    assert quarters_of(date(2025, 1, 1), date(2025, 3, 31)) == [date(2025, 1, 1)]


def test_nested_reports_share_one_planner_setting(org):
    with CaptureQueriesContext(connection) as queries, aggregate_report():
        with aggregate_report():
            adoption_report(user=org.admin, start=H1[0], end=H1[1])
        adoption_report(user=org.admin, start=H1[0], end=H1[1])
    settings = [query["sql"] for query in queries.captured_queries if "hash_mem_multiplier" in query["sql"]]
    assert len(settings) == (1 if connection.vendor == "postgresql" else 0)
    # The two reports, plus one SAVEPOINT, SET and RELEASE on PostgreSQL.
    assert len(queries) == (5 if connection.vendor == "postgresql" else 2)
