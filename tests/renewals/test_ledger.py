"""The monthly ARR ledger against hand-worked books (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from renewals.amendments import contract_amend
from renewals.ledger import arr_ledger_account_update, arr_ledger_rebuild
from renewals.models import ArrMovement, Contract, ContractStatus
from renewals.services import contract_create, contract_update

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


def contract(account, start: date, end: date, arr: str) -> Contract:
    return contract_create(actor=None, account=account, start_date=start, end_date=end, arr=Decimal(arr))


def ledger(account) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    return [
        (row.month.isoformat(), row.kind, row.amount, row.arr_before, row.arr_after)
        for row in ArrMovement.objects.filter(account=account).order_by("month")
    ]


def test_new_renewal_expansion_contraction_churn_and_reactivation(org):
    account = org.accounts["csm_a1"][0]
    first = contract(account, date(2025, 1, 1), date(2025, 12, 31), "100")
    contract_amend(contract=first, effective_date=date(2025, 5, 10), arr_delta=Decimal("20"), actor=None)
    contract_amend(
        contract=first, effective_date=date(2025, 8, 1), arr_delta=Decimal("-50"), reason="Fewer seats", actor=None
    )
    # Renewed at the same ARR as in force (70): no movement in January 2026.
    second = contract(account, date(2026, 1, 1), date(2026, 2, 28), "70")
    # Nothing from March to April: churn in March, back in May.
    contract(account, date(2026, 5, 1), date(2027, 4, 30), "90")
    assert arr_ledger_rebuild(today=TODAY) == 5
    assert ledger(account) == [
        ("2025-01-01", "new", Decimal("100"), Decimal("0"), Decimal("100")),
        ("2025-05-01", "expansion", Decimal("20"), Decimal("100"), Decimal("120")),
        ("2025-08-01", "contraction", Decimal("50"), Decimal("120"), Decimal("70")),
        ("2026-03-01", "churn", Decimal("70"), Decimal("70"), Decimal("0")),
        ("2026-05-01", "reactivation", Decimal("90"), Decimal("0"), Decimal("90")),
    ]
    # One account at a time writes the same rows; twice, still the same.
    assert arr_ledger_account_update(account_id=account.pk, today=TODAY) == 5
    assert arr_ledger_account_update(account_id=account.pk, today=TODAY) == 5
    assert len(ledger(account)) == 5
    # A cancelled contract was never in force.
    contract_update(actor=None, contract=second, status=ContractStatus.CANCELLED)
    arr_ledger_account_update(account_id=account.pk, today=TODAY)
    assert [row[:3] for row in ledger(account)][3:] == [
        ("2026-01-01", "churn", Decimal("70")),
        ("2026-05-01", "reactivation", Decimal("90")),
    ]


def test_the_horizon_is_the_current_month(org):
    account = org.accounts["csm_a1"][0]
    contract(account, date(2026, 1, 1), date(2026, 6, 30), "100")
    arr_ledger_rebuild(today=TODAY)
    assert [row[1] for row in ledger(account)] == ["new"]  # the July end is not a churn yet
    arr_ledger_rebuild(today=date(2026, 7, 1))
    assert [row[1] for row in ledger(account)] == ["new", "churn"]


def test_the_demo_data_comes_with_its_ledger():
    from django.core.management import call_command

    call_command("seed_demo", "--seed", "5", "--accounts", "40")
    assert ArrMovement.objects.filter(kind="new").count() == Contract.objects.filter(previous__isnull=True).count()
