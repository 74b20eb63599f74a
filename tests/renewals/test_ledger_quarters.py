"""The quarter rows behind the KPI page's ARR-in-force figures give exactly what the
movements give, and stay in step with them (rebuild, one account's update, deletion)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Account, IcpFit
from renewals.amendments import contract_amend
from renewals.ledger import arr_ledger_account_update, arr_ledger_rebuild
from renewals.ledger_kpis import period_bucket, quarter_buckets, scope_sql
from renewals.ledger_quarters import quarters_report, whole_quarters
from renewals.ledger_sql import cohort_report
from renewals.models import ArrQuarter, ArrQuarterTotal, Contract
from renewals.services import contract_create
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
GROUPINGS = ("company", "team", "csm", "segment", "industry", "icp_fit")


def contract(account: Account, start: date, end: date, arr: str) -> Contract:
    return contract_create(actor=None, account=account, start_date=start, end_date=end, arr=Decimal(arr))


def a_book(org) -> list[Account]:
    """Accounts that start, renew up and down, churn, come back and amend, over 2024–2025."""
    owners = [org.csm_a1, org.csm_a2, org.csm_b1, None]
    accounts: list[Account] = []
    for i in range(12):
        account = AccountFactory(owner=owners[i % 4], icp_fit=IcpFit.values[i % 2])
        accounts.append(account)
        month = 1 + i % 12
        first = contract(account, date(2024, month, 1), date(2025, month, 1) - DAY, str(1000 * (i + 1)))
        if i % 3:
            contract(account, date(2025, month, 1), date(2026, month, 1) - DAY, str(900 * (i + 2)))
        elif i % 2:
            contract(account, date(2025, 3 + i % 10, 1), date(2025, 12, 31), str(50_000))  # back, bigger
        if i % 4 == 1:
            more = first.start_date + timedelta(days=60)
            contract_amend(contract=first, effective_date=more, arr_delta="250", actor=None)
        if i % 5 == 2:
            cut = first.start_date + timedelta(days=100)
            contract_amend(contract=first, effective_date=cut, arr_delta="-300", reason="Cut", actor=None)
    arr_ledger_rebuild()
    return accounts


def periods() -> list[tuple[date, date]]:
    return [
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), date(2025, 6, 30)),
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2024, 1, 1), date(2025, 12, 31)),  # eight quarters, the most the rows hold
    ]


def both(user: Any, start: date, end: date, group_by: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    buckets = [period_bucket(start, end), *(period_bucket(first, last) for first, last in quarter_buckets(start, end))]
    if group_by in ("csm", "team"):
        buckets = buckets[:1]  # as ledger_report asks: by owner, the period only
    scope = scope_sql(user)

    def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda row: (row["bucket"], str(row["group_key"])))

    return (
        ordered(quarters_report(buckets=buckets, group_by=group_by, scope=scope)),
        ordered(cohort_report(buckets=buckets, group_by=group_by, scope=scope)),
    )


def test_the_quarter_rows_give_the_movements_figures(org):
    a_book(org)
    for start, end in periods():
        assert whole_quarters(start.replace(day=1), end.replace(day=1), date(2026, 1, 1))
        for user in (org.admin, org.manager_a, org.csm_a1, org.csm_b1):
            for group_by in GROUPINGS:
                fast, slow = both(user, start, end, group_by)
                assert fast == slow, (start, end, user.username, group_by)


def test_only_whole_ended_quarters_of_at_most_eight_take_the_rows():
    today = date(2026, 1, 15)
    assert whole_quarters(date(2025, 1, 1), date(2025, 12, 1), today) == (8100, 8103)
    assert whole_quarters(date(2025, 2, 1), date(2025, 12, 1), today) is None  # from February
    assert whole_quarters(date(2025, 1, 1), date(2025, 11, 1), today) is None  # until November
    assert whole_quarters(date(2025, 10, 1), date(2026, 3, 1), today) is None  # the current quarter
    assert whole_quarters(date(2023, 7, 1), date(2025, 9, 1), today) is None  # nine quarters


def rows_of_a_fresh_rebuild() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    quarter_fields = ("account_id", "number", "held", "arr_start", "arr_end", "expansion", "churn", "new")
    total_fields = ("number", "held", "accounts", "retained", "arr_start", "arr_end", "expansion", "churn", "new")
    return (
        list(ArrQuarter.objects.order_by("account_id", "number").values_list(*quarter_fields)),
        [
            tuple(Decimal(str(value)) for value in row)
            for row in ArrQuarterTotal.objects.exclude(accounts=0).order_by("number", "held").values_list(*total_fields)
        ],
    )


def test_one_accounts_update_keeps_rows_and_totals_as_a_rebuild_has_them(org):
    accounts = a_book(org)
    deal = Contract.objects.filter(account=accounts[4]).order_by("start_date").first()
    assert deal is not None
    # Changes written around the services, then the account's update alone.
    Contract.objects.filter(pk=deal.pk).update(arr=Decimal("77777"))
    arr_ledger_account_update(account_id=accounts[4].pk)
    contract(accounts[7], date(2024, 2, 1), date(2024, 3, 31), "123")
    arr_ledger_account_update(account_id=accounts[7].pk)  # what the task queued on commit runs
    updated = rows_of_a_fresh_rebuild()
    arr_ledger_rebuild()
    assert rows_of_a_fresh_rebuild() == updated  # totals left at zero accounts aside


def test_a_deleted_account_leaves_the_totals(org):
    accounts = a_book(org)
    accounts[1].delete()
    after_delete = rows_of_a_fresh_rebuild()
    assert not ArrQuarter.objects.filter(account_id=accounts[1].pk).exists()
    arr_ledger_rebuild()
    assert rows_of_a_fresh_rebuild() == after_delete


def test_the_cohort_bit_follows_the_quarter_starts(org):
    account = AccountFactory(owner=org.csm_a1)
    contract(account, date(2024, 2, 1), date(2024, 5, 31), "100")  # ARR at the start of Q2 only
    contract(account, date(2024, 11, 1), date(2025, 10, 31), "200")  # back: ARR at Q1–Q4 2025 starts
    arr_ledger_rebuild()
    held = dict(ArrQuarter.objects.filter(account=account).values_list("quarter", "held"))
    assert held[date(2024, 1, 1)] == 0  # new in February: nothing at the start of Q1
    assert held[date(2024, 4, 1)] == 0b1
    assert held[date(2024, 10, 1)] == 0b100  # ARR at the start of Q2, two quarters back
    assert held[date(2025, 1, 1)] == 0b1001
    assert held[date(2025, 10, 1)] == 0b1001111  # Q1–Q4 2025 and Q2 2024; churns in November
    assert date(2026, 1, 1) not in held  # nothing at its start, nothing moves: no row
