from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from renewals.models import ChurnReason, RenewalOpportunity, RenewalStatus
from renewals.periods import add_months
from renewals.services import contract_create, renewal_mark_at_risk
from tests.factories import AccountFactory

TODAY = date(2025, 3, 3)


def make_renewal(
    owner: Any = None,
    *,
    account: Any = None,
    days_left: int = 30,
    today: date = TODAY,
    arr: Decimal | str = "100000",
    at_risk: bool = False,
) -> RenewalOpportunity:
    """A yearly contract ending ``days_left`` after ``today`` and its renewal."""
    account = account or AccountFactory(owner=owner)
    end = today + timedelta(days=days_left)
    contract = contract_create(
        actor=None,
        account=account,
        start_date=add_months(end + timedelta(days=1), -12),
        end_date=end,
        arr=Decimal(arr),
        products=["CRM"],
    )
    renewal = RenewalOpportunity.objects.get(contract=contract)
    if at_risk:
        renewal = renewal_mark_at_risk(renewal=renewal, reason="Sponsor left", actor=None)
        assert renewal.status == RenewalStatus.AT_RISK
    return renewal


def churn_reason(code: str = "price") -> ChurnReason:
    # Transactional tests flush the seeded rows, so never rely on the migration here.
    reason, _ = ChurnReason.objects.get_or_create(code=code, defaults={"label": "Price or budget"})
    return reason


def fail_queuing_the_nth_reminder(monkeypatch: Any, n: int, message: str) -> Callable[[], None]:
    """Make queuing the ``n``-th reminder raise ``RuntimeError(message)`` (a batch dying
    half-way); returns the function that puts the real queuing back."""
    from renewals.reminders import messages

    real = messages.reminder_queue
    calls = {"n": 0}

    def failing(reminder: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == n:
            raise RuntimeError(message)
        real(reminder, **kwargs)

    monkeypatch.setattr(messages, "reminder_queue", failing)
    return lambda: monkeypatch.setattr(messages, "reminder_queue", real)
