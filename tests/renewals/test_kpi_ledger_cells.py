"""The ARR-in-force rates from the ledger cells equal those from every account's quarter
rows (``ledger_quarters.quarters_report``): random books with renewals up and down,
churn and return, amendments, segment changes and owners changed mid-way (history rows
dated in the past), every grouping and period shape, as admin, manager and CSM; then
after an owner change and an amendment, refreshed incrementally."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.utils import timezone

from accounts.models import Account, IcpFit, Industry
from renewals.amendments import contract_amend
from renewals.kpi_facts.ledger_cells import cells_report
from renewals.kpi_facts.read import ledger_scope_sql
from renewals.kpi_facts.services import kpi_facts_rebuild, kpi_marked_refresh
from renewals.ledger import arr_ledger_account_update, arr_ledger_rebuild
from renewals.ledger_kpis import ledger_report, period_bucket, quarter_buckets, scope_sql
from renewals.ledger_quarters import quarters_report
from renewals.models import Contract, KpiDirtyAccount, KpiLedgerCell
from renewals.periods import add_months
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

GROUPINGS = ("company", "team", "csm", "segment", "industry", "icp_fit")
PERIODS = [
    (date(2024, 4, 1), date(2024, 6, 30)),
    (date(2024, 7, 1), date(2025, 6, 30)),
    (date(2025, 1, 1), date(2025, 12, 31)),
    (date(2024, 1, 1), date(2025, 12, 31)),  # eight quarters, the most the rows hold
]


def _dated(account: Account, when: date) -> None:
    """Date the account's latest history row ``when`` (as if the change was made then)."""
    latest = Account.history.filter(id=account.pk).order_by("-history_date", "-history_id").first()
    assert latest is not None
    at = timezone.make_aware(datetime(when.year, when.month, when.day, 12))
    Account.history.filter(history_id=latest.history_id).update(history_date=at)


def _book(org: Any, rng: random.Random, count: int = 24) -> list[Account]:
    owners = [org.csm_a1, org.csm_a2, org.csm_b1, org.manager_a, None]
    accounts = []
    for number in range(count):
        owner = rng.choice(owners)
        account = cast(
            Account,
            AccountFactory(
                owner=owner,
                name=f"L{number}",
                queue_team=rng.choice([org.team_a, None]) if owner is None else None,
                industry=rng.choice(Industry.values[:3]),
                icp_fit=rng.choice(IcpFit.values),
            ),
        )
        _dated(account, date(2023, 1, 1))
        if rng.random() < 0.4:  # reassigned during the periods
            account.owner = rng.choice(owners)
            account.queue_team = None
            account.save()
            _dated(account, date(2024, 1, 1) + timedelta(days=rng.randint(0, 700)))
        accounts.append(account)
        start = date(2023, rng.randint(1, 12), 1)
        arr = Decimal(rng.choice([2000, 9000, 40000, 150000, 400000]))
        while start < date(2026, 1, 1):
            end = add_months(start, 12) - timedelta(days=1)
            contract = Contract.objects.create(account=account, start_date=start, end_date=end, arr=arr)
            roll = rng.random()
            if roll < 0.3:
                contract_amend(
                    contract=contract,
                    effective_date=start + timedelta(days=rng.randint(20, 300)),
                    arr_delta=str(rng.choice([500, 30000, -1000])),
                    reason="Cut",
                    actor=None,
                )
            if roll > 0.85:
                start = add_months(end + timedelta(days=1), rng.choice([3, 7, 30]))  # churn, maybe back
            else:
                start = end + timedelta(days=1)
            arr = (arr * Decimal(rng.choice(["0.5", "1", "1.3", "3"]))).quantize(Decimal("1"))
    arr_ledger_rebuild()
    return accounts


def _equal(user: Any) -> None:
    cell_scope = ledger_scope_sql(user)
    scope = scope_sql(user)
    for start, end in PERIODS:
        quarters = [period_bucket(first, last) for first, last in quarter_buckets(start, end)]
        for group_by in GROUPINGS:
            buckets = [period_bucket(start, end)]
            if group_by not in ("csm", "team"):
                buckets += quarters

            def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
                return sorted(rows, key=lambda row: (row["bucket"], str(row["group_key"])))

            direct = ordered(quarters_report(buckets=buckets, group_by=group_by, scope=scope))
            cells = ordered(cells_report(buckets=buckets, group_by=group_by, scope=cell_scope))
            assert cells == direct, (user.username, start, end, group_by)


def _all(org: Any) -> None:
    for user in (org.admin, org.manager_a, org.csm_a1):
        _equal(user)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_ledger_cells_equal_the_quarter_rows(org: Any, seed: int) -> None:
    _book(org, random.Random(seed))
    kpi_facts_rebuild()
    assert KpiLedgerCell.objects.exists()
    _all(org)
    # The page's report through the cells is the report through the rows.
    for group_by in GROUPINGS:
        plain = ledger_report(user=org.manager_a, start=PERIODS[2][0], end=PERIODS[2][1], group_by=group_by)
        cells = ledger_report(user=org.manager_a, start=PERIODS[2][0], end=PERIODS[2][1], group_by=group_by, cells=True)
        assert cells == plain, group_by


def test_an_owner_change_and_an_amendment_refresh_the_ledger_cells(org: Any) -> None:
    accounts = _book(org, random.Random(5), count=14)
    kpi_facts_rebuild()
    moved = accounts[0]
    moved.owner = org.csm_b1 if moved.owner != org.csm_b1 else org.csm_a2
    moved.save()
    _dated(moved, date(2024, 11, 3))
    amended = accounts[1]
    contract = Contract.objects.filter(account=amended, start_date__year=2024).first() or amended.contracts.first()
    assert contract is not None
    contract_amend(
        contract=contract, effective_date=contract.start_date + timedelta(days=45), arr_delta="777", actor=None
    )
    arr_ledger_account_update(account_id=amended.pk)
    KpiDirtyAccount.objects.bulk_create(
        [KpiDirtyAccount(account_id=account.pk, marked_at=timezone.now()) for account in (moved, amended)],
        ignore_conflicts=True,
    )
    assert kpi_marked_refresh() >= 2
    _all(org)
