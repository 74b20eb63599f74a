"""NDR, GRR and logo retention over the ARR in force, against a hand-worked quarter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, IcpFit
from accounts.services import account_update
from renewals.amendments import contract_amend
from renewals.ledger import arr_ledger_rebuild
from renewals.ledger_kpis import ledger_retention
from renewals.models import Contract, ExpansionStage
from renewals.services import contract_create, expansion_create, expansion_update
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

Q2 = (date(2025, 4, 1), date(2025, 6, 30))
PERIOD = "start=2025-04-01&end=2025-06-30"


def contract(account: Account, start: date, end: date, arr: str) -> Contract:
    return contract_create(actor=None, account=account, start_date=start, end_date=end, arr=Decimal(arr))


def owned_since(account: Account, day: date) -> None:
    """Date the account's history back, so that ``day`` is when it got its owner."""
    history = account.history.model.objects.filter(id=account.pk)
    history.update(history_date=timezone.make_aware(datetime.combine(day, datetime.min.time())))


def hand_worked_quarter(org) -> dict[str, Any]:
    """Q2 2025 (April–June); the cohort is who had ARR at the end of March.

    ====  =========================================  ==========  ==================
    acct  what happens                               start ARR   Q2 movements
    ====  =========================================  ==========  ==================
    A     100 all 2025; expansion won, +50 May 15    100         expansion 50 (May)
    B     200 all 2025; −40 Apr 10, +10 Jun 1        200         contr. 40, exp. 10
    C     100 until Apr 30; 80 again from Jun 1      100         churn 100, react. 80
    D     60 until Apr 30, not renewed               60          churn 60 (May)
    E     30 from May 1 (new customer)               0           new 30 (no cohort)
    ====  =========================================  ==========  ==================

    starting ARR 460; expansion 60, contraction 40, churn 160, reactivation 80
    NDR = (460 + 60 + 80 − 40 − 160) / 460 = 400 / 460 = 86.96 %
    GRR = (460 − 40 − 160) / 460 = 260 / 460 = 56.52 %; logo retention 3 / 4.
    """
    names = "ABCDE"
    accounts = {name: AccountFactory(owner=org.csm_a1, name=f"Book {name}") for name in names}
    for account in accounts.values():
        owned_since(account, date(2024, 1, 1))
    a = contract(accounts["A"], date(2025, 1, 1), date(2025, 12, 31), "100")
    expansion = expansion_create(
        account=accounts["A"], title="More seats", kind="upsell", amount=Decimal("50"), actor=None,
        expected_close=date(2025, 5, 15),
    )  # fmt: skip
    expansion_update(expansion=expansion, actor=org.csm_a1, stage=ExpansionStage.PROPOSAL)
    expansion_update(expansion=expansion, actor=org.csm_a1, stage=ExpansionStage.WON)
    assert a.amendments.get().arr_delta == Decimal("50")
    b = contract(accounts["B"], date(2025, 1, 1), date(2025, 12, 31), "200")
    contract_amend(contract=b, effective_date=date(2025, 4, 10), arr_delta=Decimal("-40"), reason="Seats", actor=None)
    contract_amend(contract=b, effective_date=date(2025, 6, 1), arr_delta=Decimal("10"), actor=None)
    contract(accounts["C"], date(2024, 5, 1), date(2025, 4, 30), "100")
    contract(accounts["C"], date(2025, 6, 1), date(2026, 5, 31), "80")
    contract(accounts["D"], date(2024, 7, 1), date(2025, 4, 30), "60")
    contract(accounts["E"], date(2025, 5, 1), date(2026, 4, 30), "30")
    arr_ledger_rebuild()
    return accounts


def test_the_hand_worked_quarter(org):
    hand_worked_quarter(org)
    (row,) = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows
    assert (row.n_start, row.start_arr, row.end_arr) == (4, Decimal("460"), Decimal("400"))
    assert (row.expansion, row.contraction, row.churn, row.reactivation, row.new) == (
        Decimal("60"), Decimal("40"), Decimal("160"), Decimal("80"), Decimal("30"),
    )  # fmt: skip
    assert row.ndr == Decimal("0.8696")
    assert row.grr == Decimal("0.5652")
    assert row.logo_retention == Decimal("0.7500")


def test_a_won_mid_term_expansion_counts_in_its_quarter_and_a_contraction_lowers_grr(org):
    account = AccountFactory(owner=org.csm_a1)
    deal = contract(account, date(2025, 1, 1), date(2025, 12, 31), "100")
    arr_ledger_rebuild()
    (flat,) = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows
    assert (flat.ndr, flat.grr) == (Decimal("1.0000"), Decimal("1.0000"))
    expansion_create(
        account=account, title="Module", kind="cross_sell", amount=Decimal("25"), actor=None,
        stage=ExpansionStage.WON, expected_close=date(2025, 5, 20),
    )  # fmt: skip
    arr_ledger_rebuild()
    (won,) = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows
    assert (won.expansion, won.ndr, won.grr) == (Decimal("25"), Decimal("1.2500"), Decimal("1.0000"))
    # Not in the quarter before it, nor twice when the stage is saved again.
    (q1,) = ledger_retention(user=org.admin, start=date(2025, 1, 1), end=date(2025, 3, 31)).rows
    assert q1.expansion == 0
    contract_amend(contract=deal, effective_date=date(2025, 6, 2), arr_delta="-30", reason="Budget cut", actor=None)
    arr_ledger_rebuild()
    (cut,) = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows
    # The two net out within the quarter only month by month: May +25, June −30.
    assert (cut.expansion, cut.contraction) == (Decimal("25"), Decimal("30"))
    assert cut.grr == Decimal("0.7000") and cut.ndr == Decimal("0.9500")


def test_zero_starting_arr_shows_a_dash(org, client):
    (empty,) = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows
    assert empty.start_arr == 0 and empty.ndr is None and empty.grr is None and empty.logo_retention is None
    contract(AccountFactory(owner=org.csm_a1), date(2025, 5, 1), date(2026, 4, 30), "30")  # new only
    arr_ledger_rebuild()
    (new_only,) = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows
    assert (new_only.new, new_only.ndr, new_only.grr) == (Decimal("30"), None, None)
    client.force_login(org.admin)
    page = client.get(f"/renewals/kpis/?{PERIOD}").content.decode()
    ndr_cell = page.split('data-testid="ledger-ndr"')[1].split("</a>")[0]
    assert ndr_cell.endswith(">—")


def test_churn_then_reactivation_in_one_quarter(org):
    account = AccountFactory(owner=org.csm_a1)
    contract(account, date(2024, 5, 1), date(2025, 4, 30), "100")
    contract(account, date(2025, 6, 1), date(2026, 5, 31), "100")
    arr_ledger_rebuild()
    (row,) = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows
    assert (row.churn, row.reactivation, row.n_start) == (Decimal("100"), Decimal("100"), 1)
    assert row.ndr == Decimal("1.0000")  # back at the end of the quarter
    assert row.grr == Decimal("0.0000")  # GRR counts the churn gross
    assert row.logo_retention == Decimal("1.0000")
    # The next quarter the account is in the cohort again, with nothing moving.
    (q3,) = ledger_retention(user=org.admin, start=date(2025, 7, 1), end=date(2025, 9, 30)).rows
    assert (q3.n_start, q3.start_arr, q3.ndr) == (1, Decimal("100"), Decimal("1.0000"))


def test_the_owner_at_the_periods_start_keeps_the_figure(org):
    accounts = hand_worked_quarter(org)
    moved = accounts["B"]  # its contraction and expansion are in Q2; it moves on May 10
    account_update(actor=org.admin, account=moved, owner=org.csm_b1)
    moved.history.model.objects.filter(id=moved.pk, owner=org.csm_b1).update(
        history_date=timezone.make_aware(datetime(2025, 5, 10))
    )
    q2 = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1], group_by="csm").rows
    assert [row.key for row in q2] == [str(org.csm_a1.pk)]  # B's figures stay with the owner at April 1
    assert (q2[0].n_start, q2[0].contraction, q2[0].ndr) == (4, Decimal("40"), Decimal("0.8696"))
    by_team = ledger_retention(user=org.admin, start=Q2[0], end=Q2[1], group_by="team").rows
    assert [(row.label, row.start_arr) for row in by_team] == [("Team A", Decimal("460"))]
    # From Q3 on B counts for its new owner's team.
    q3 = ledger_retention(user=org.admin, start=date(2025, 7, 1), end=date(2025, 9, 30), group_by="team").rows
    assert [(row.label, row.start_arr) for row in q3] == [
        ("Team A", Decimal("260")),
        ("Team B", Decimal("170")),
    ]  # A 150, C 80, E 30


def test_scope_csm_manager_admin(org, client):
    hand_worked_quarter(org)
    other = AccountFactory(owner=org.csm_b1)
    contract(other, date(2025, 1, 1), date(2025, 12, 31), "999")
    arr_ledger_rebuild()
    mine = ledger_retention(user=org.csm_a1, start=Q2[0], end=Q2[1]).rows[0]
    assert mine.start_arr == Decimal("460")
    assert ledger_retention(user=org.csm_a2, start=Q2[0], end=Q2[1]).rows[0].start_arr == 0
    assert ledger_retention(user=org.manager_a, start=Q2[0], end=Q2[1]).rows[0].start_arr == Decimal("460")
    assert ledger_retention(user=org.manager_b, start=Q2[0], end=Q2[1]).rows[0].start_arr == Decimal("999")
    assert ledger_retention(user=org.admin, start=Q2[0], end=Q2[1]).rows[0].start_arr == Decimal("1459")
    # The movements list and its CSV: only the accounts in scope.
    client.force_login(org.csm_b1)
    listed = client.get(f"/renewals/arr-movements/?{PERIOD}&group_by=company&group=all")
    assert listed.context["page"].paginator.count == 0  # csm_b1's account did not move in Q2
    csv = client.get(f"/renewals/arr-movements/export.csv?{PERIOD}").content.decode()
    assert "Book" not in csv
    client.force_login(org.csm_a2)
    assert "Book" not in client.get(f"/renewals/arr-movements/?{PERIOD}").content.decode()
    client.force_login(org.csm_a1)
    assert "Book D" in client.get(f"/renewals/arr-movements/?{PERIOD}&kind=churn").content.decode()


def test_each_figure_opens_the_movements_behind_it(org, client):
    accounts = hand_worked_quarter(org)
    Account.objects.filter(pk=accounts["B"].pk).update(icp_fit=IcpFit.EXPLORATORY)
    client.force_login(org.admin)
    for group_by in ("company", "team", "csm", "segment", "industry", "icp_fit"):
        for row in ledger_retention(user=org.admin, start=Q2[0], end=Q2[1], group_by=group_by).rows:
            for cell in row.cells:
                if not cell.figure.movement:
                    continue
                response = client.get(f"/renewals/arr-movements/?{cell.query}")
                assert response.status_code == 200
                amounts = [movement.amount for movement in response.context["page"].object_list]
                assert sum(amounts, Decimal("0")) == cell.value, (group_by, row.label, cell.figure.key)
    page = client.get(f"/renewals/kpis/?{PERIOD}").content.decode()
    assert 'data-testid="ledger-heading"' in page and 'data-testid="renewal-rates-heading"' in page
    assert client.get(f"/renewals/arr-movements/?{PERIOD}&group_by=csm&group=x").status_code == 400
    assert client.get("/renewals/arr-movements/?start=2025-07-01&end=2025-01-01").status_code == 400
    assert client.get("/renewals/arr-movements/?kind=galaxy").status_code == 400


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_book(org, n: int) -> None:
    owners = [org.csm_a1, org.csm_a2, org.csm_b1, None]
    for i in range(n):
        account = AccountFactory(owner=owners[i % 4], icp_fit=IcpFit.values[i % 2])
        end = date(2025, 4, 30) if i % 3 == 0 else date(2025, 12, 31)
        deal = contract(account, date(2025, 1, 1), end, str(100 + i))
        if i % 3 == 1:
            contract_amend(contract=deal, effective_date=date(2025, 5, 1), arr_delta=Decimal("10"), actor=None)
    arr_ledger_rebuild()


@pytest.mark.parametrize("group_by", ["company", "team", "csm", "segment", "industry", "icp_fit"])
def test_kpi_page_query_count_is_small_and_constant(client, org, group_by):
    client.force_login(org.admin)
    urls = [f"/renewals/kpis/?{PERIOD}&group_by={group_by}", f"/renewals/arr-movements/?{PERIOD}&group_by={group_by}"]
    add_book(org, 4)
    few = [count_queries(client, url) for url in urls]
    add_book(org, 36)
    many = [count_queries(client, url) for url in urls]
    assert few == many
    assert few[0] <= 15
