"""Demo contracts and renewals: one yearly contract per demo account.

End dates spread over the past twelve months and the next twelve, so the KPI
trends have four full quarters, and the pipeline, the reminders and the overdue list
all have something to show; nearly all of the past ones are closed (renewed,
downgraded or churned) with their next periods created.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from simple_history.utils import bulk_create_with_history

from accounts.models import AccountStatus

from .ledger import arr_ledger_rebuild
from .models import ChurnReason, Contract, RenewalOpportunity, RenewalStatus
from .periods import add_months
from .services import renewal_close, renewal_mark_at_risk, renewal_override_forecast, renewal_set_stage

PRODUCTS = ["CRM", "OA", "HR", "Analytics", "Service Desk", "API add-on"]
RISK_REASONS = [
    "Sponsor left; the new VP has not logged in.",
    "Usage dropped by half this quarter.",
    "Asked for a 30% discount, mentions a competitor.",
    "Budget freeze announced.",
]


def present() -> bool:
    return Contract.objects.exists()


def reset() -> None:
    Contract.objects.all().delete()
    Contract.history.all().delete()
    RenewalOpportunity.history.all().delete()


def seed(ctx: Any) -> None:
    rng = ctx.rng
    today = ctx.today
    admin = ctx.users.get("admin")
    contracts: list[Contract] = []
    for account in ctx.shared.get("accounts", []):
        if account.status == AccountStatus.ONBOARDING and rng.random() < 0.5:
            continue  # some new customers' contracts are not entered yet
        end = today + timedelta(days=rng.randint(-365, 365))
        start = add_months(end + timedelta(days=1), -12)
        products = sorted(rng.sample(PRODUCTS, rng.randint(1, 3)))
        contracts.append(
            Contract(
                account=account,
                start_date=start,
                end_date=end,
                arr=account.arr,
                products=products,
                auto_renew=rng.random() < 0.3,
            )
        )
    bulk_create_with_history(contracts, Contract, batch_size=1000, default_user=admin)
    contracts = list(Contract.objects.select_related("account").order_by("pk"))
    renewals = [
        RenewalOpportunity(contract=c, account=c.account, due_date=c.end_date, forecast_arr=c.arr) for c in contracts
    ]
    bulk_create_with_history(renewals, RenewalOpportunity, batch_size=1000, default_user=admin)

    reasons = list(ChurnReason.objects.filter(active=True))
    closed = at_risk = 0
    for renewal in RenewalOpportunity.objects.select_related("contract", "account").order_by("pk"):
        days_left = (renewal.due_date - today).days
        roll = rng.random()
        if days_left < -14 and (roll < 0.8 or days_left < -90):
            _close(
                renewal, rng=rng, reasons=reasons, actor=admin, churned=renewal.account.status == AccountStatus.CHURNED
            )
            closed += 1
        elif days_left < 120 and roll < 0.15:
            renewal_mark_at_risk(renewal=renewal, reason=rng.choice(RISK_REASONS), actor=admin)
            at_risk += 1
        elif days_left < 60 and roll < 0.35:
            renewal_set_stage(renewal=renewal, status=RenewalStatus.COMMITTED, actor=admin)
        elif roll > 0.93:
            renewal_override_forecast(
                renewal=renewal,
                probability=Decimal(rng.choice(["0.30", "0.50", "0.95"])),
                reason="Customer told us in the QBR.",
                actor=renewal.account.owner or admin,
            )
    # The ledger behind the KPI page's rates over the ARR in force (the contracts were bulk-created).
    movements = arr_ledger_rebuild(today=today)
    ctx.summary.append(
        f"{len(contracts)} contracts ({closed} renewals closed, {at_risk} at risk), {movements} ARR movements"
    )


def _close(renewal: RenewalOpportunity, *, rng: Any, reasons: list[ChurnReason], actor: Any, churned: bool) -> None:
    arr = renewal.contract.arr
    if churned or rng.random() < 0.12:
        renewal_close(renewal=renewal, outcome=RenewalStatus.CHURNED, churn_reason=rng.choice(reasons), actor=actor)
    elif rng.random() < 0.2 and arr > 1000:
        renewal_close(
            renewal=renewal,
            outcome=RenewalStatus.DOWNGRADED,
            outcome_arr=(arr * Decimal("0.8")).quantize(1),
            actor=actor,
        )
    else:
        uplift = Decimal(str(rng.choice(["1.00", "1.00", "1.05", "1.10", "1.20"])))
        renewal_close(
            renewal=renewal, outcome=RenewalStatus.RENEWED, outcome_arr=(arr * uplift).quantize(1), actor=actor
        )
