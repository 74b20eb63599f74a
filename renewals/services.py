"""Writes to contracts and renewals. Views, the API, the admin and tasks call these.

Callers fetch the objects through the selectors (which scope them to the acting user)
before they call a service; the services apply the business rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import AnyUser
from accounts.confirm import reason_clean
from accounts.models import Account
from accounts.timeline import timeline_record
from core.messages import choice, message
from core.people import person_or_none

# The expansion services live in ``expansions``; these names stay importable from here.
from .expansions import (  # noqa: F401
    expansion_create,
    expansion_lose,
    expansion_owner_role,
    expansion_update,
    expansion_win,
)
from .ledger import ledger_account_changed
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ChurnReason,
    Contract,
    ContractStatus,
    RenewalOpportunity,
    RenewalStatus,
)
from .periods import next_period
from .signals import renewal_closed, renewal_marked_at_risk

CONTRACT_EDITABLE_FIELDS = (
    "products",
    "start_date",
    "end_date",
    "arr",
    "currency",
    "auto_renew",
    "customer_reminders",
    "customer_language",
    "status",
)


def _save_with_history(instance: Contract | RenewalOpportunity, actor: AnyUser | None) -> None:
    instance.full_clean()
    instance._history_user = person_or_none(actor)  # type: ignore[union-attr]
    instance.save()


@transaction.atomic
def contract_create(
    *,
    actor: AnyUser | None,
    account: Account,
    start_date: date,
    end_date: date,
    arr: Decimal | int,
    products: Sequence[str] = (),
    currency: str | None = None,
    auto_renew: bool = False,
    status: str = ContractStatus.ACTIVE,
    previous: Contract | None = None,
    customer_reminders: bool = False,
    customer_language: str = "",
    external_id: str | None = None,
) -> Contract:
    """A contract period and, for an active one, its renewal opportunity."""
    contract = Contract(
        account=account,
        external_id=external_id or None,
        start_date=start_date,
        end_date=end_date,
        arr=arr,
        products=list(products),
        auto_renew=auto_renew,
        status=status,
        previous=previous,
        customer_reminders=customer_reminders,
        customer_language=customer_language,
    )
    if currency:
        contract.currency = currency
    _validate_period(contract)
    _save_with_history(contract, actor)
    ledger_account_changed(account.pk)
    if contract.status == ContractStatus.ACTIVE:
        renewal = RenewalOpportunity(
            contract=contract, account=account, due_date=contract.end_date, forecast_arr=contract.arr
        )
        _save_with_history(renewal, actor)
    return contract


def _validate_period(contract: Contract) -> None:
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})


@transaction.atomic
def contract_update(*, actor: AnyUser | None, contract: Contract, **changes: Any) -> Contract:
    """Change the given fields; the open renewal follows the end date and ARR."""
    unknown = set(changes) - set(CONTRACT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in sorted(unknown)})
    old_arr = contract.arr
    for field, value in changes.items():
        setattr(contract, field, list(value) if field == "products" else value)
    _validate_period(contract)
    _save_with_history(contract, actor)
    ledger_account_changed(contract.account_id)

    renewal = RenewalOpportunity.objects.select_for_update().filter(contract=contract).first()
    if renewal is None:
        if contract.status == ContractStatus.ACTIVE:
            renewal = RenewalOpportunity(
                contract=contract, account=contract.account, due_date=contract.end_date, forecast_arr=contract.arr
            )
            _save_with_history(renewal, actor)
        return contract
    if renewal.is_open or renewal.status == RenewalStatus.LAPSED:
        renewal.due_date = contract.end_date
        if renewal.status == RenewalStatus.LAPSED and renewal.due_date >= timezone.localdate():
            renewal.status = RenewalStatus.OPEN  # the contract was extended: its renewal is ahead again
        # The forecast follows the contract until a CSM has made their own call.
        if renewal.override_by_id is None and renewal.forecast_arr == old_arr:
            renewal.forecast_arr = contract.arr
        _save_with_history(renewal, actor)
    return contract


def _lock(renewal: RenewalOpportunity) -> RenewalOpportunity:
    """Re-read the renewal under a row lock, so two people closing it at once serialise."""
    return RenewalOpportunity.objects.select_for_update().select_related("contract", "account").get(pk=renewal.pk)


def _require_open(renewal: RenewalOpportunity) -> None:
    if not renewal.is_open:
        raise ValidationError({"status": _("This renewal is already closed.")})


@transaction.atomic
def renewal_mark_at_risk(*, renewal: RenewalOpportunity, reason: str, actor: AnyUser | None) -> RenewalOpportunity:
    """Flag an open renewal at risk; playbooks react through ``renewal_marked_at_risk``."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the renewal is at risk.")})
    renewal = _lock(renewal)
    _require_open(renewal)
    was_at_risk = renewal.status == RenewalStatus.AT_RISK
    renewal.status = RenewalStatus.AT_RISK
    renewal.risk_reason = reason
    _save_with_history(renewal, actor)
    timeline_record(
        account=renewal.account,
        kind="renewal_at_risk",
        message=message(gettext_noop("Renewal due %(date)s marked at risk"), date=renewal.due_date.isoformat()),
        body=reason,
        actor=person_or_none(actor),
        data={"renewal_id": renewal.pk, "due_date": renewal.due_date.isoformat()},
    )
    if not was_at_risk:
        transaction.on_commit(
            partial(
                renewal_marked_at_risk.send,
                sender=RenewalOpportunity,
                renewal=renewal,
                reason=reason,
                actor=person_or_none(actor),
            )
        )
    return renewal


@transaction.atomic
def renewal_set_stage(*, renewal: RenewalOpportunity, status: str, actor: AnyUser | None) -> RenewalOpportunity:
    """Move an open renewal between open and committed (at risk has its own service)."""
    if status not in (RenewalStatus.OPEN, RenewalStatus.COMMITTED):
        raise ValidationError({"status": _("Use this for open or committed only.")})
    renewal = _lock(renewal)
    _require_open(renewal)
    renewal.status = status
    if status == RenewalStatus.COMMITTED:
        renewal.risk_reason = ""
    _save_with_history(renewal, actor)
    return renewal


@transaction.atomic
def renewal_override_forecast(
    *,
    renewal: RenewalOpportunity,
    probability: Decimal | None,
    reason: str,
    actor: AnyUser | None,
    forecast_arr: Decimal | None = None,
) -> RenewalOpportunity:
    """Record the CSM's own call beside the signal; ``probability=None`` withdraws it."""
    renewal = _lock(renewal)
    _require_open(renewal)
    reason = (reason or "").strip()
    if probability is None:
        renewal.override_probability = None
        renewal.override_reason = ""
        renewal.override_by = None
        renewal.override_at = None
    else:
        if not Decimal("0") <= probability <= Decimal("1"):
            raise ValidationError({"probability": _("The probability must be between 0 and 100%.")})
        if not reason:
            raise ValidationError({"reason": _("Say why your forecast differs from the signal.")})
        renewal.override_probability = probability.quantize(Decimal("0.01"))
        renewal.override_reason = reason
        renewal.override_by = person_or_none(actor)
        renewal.override_at = timezone.now()
    if forecast_arr is not None:
        renewal.forecast_arr = forecast_arr
    _save_with_history(renewal, actor)
    return renewal


@transaction.atomic
def renewal_close(
    *,
    renewal: RenewalOpportunity,
    outcome: str,
    actor: AnyUser | None,
    outcome_arr: Decimal | None = None,
    churn_reason: ChurnReason | None = None,
    next_end_date: date | None = None,
    reason: str = "",
) -> RenewalOpportunity:
    """Close a renewal once. Renewed or downgraded: the next contract period starts.

    Downgraded needs a lower ARR than the contract's; churned needs a churn reason (its
    outcome ARR is 0). ``reason``: why (the page and API require it), on the timeline."""
    reason = reason_clean(reason, required=False)
    renewal = _lock(renewal)
    if renewal.status != RenewalStatus.LAPSED:  # a lapsed renewal is still closed with its outcome
        _require_open(renewal)
    if outcome not in CLOSED_STATUSES:
        raise ValidationError({"outcome": _("Choose renewed, downgraded or churned.")})
    contract = renewal.contract
    if outcome == RenewalStatus.CHURNED:
        if churn_reason is None:
            raise ValidationError({"churn_reason": _("Choose a churn reason.")})
        outcome_arr = Decimal("0")
    else:
        if outcome_arr is None or outcome_arr <= 0:
            raise ValidationError({"outcome_arr": _("Enter the ARR of the new period.")})
        if outcome == RenewalStatus.DOWNGRADED and outcome_arr >= contract.arr:
            raise ValidationError({"outcome_arr": _("A downgrade has a lower ARR than the current contract.")})
    renewal.status = outcome
    renewal.outcome_arr = outcome_arr
    renewal.churn_reason = churn_reason
    renewal.closed_at = timezone.now()
    renewal.closed_by = person_or_none(actor)
    _save_with_history(renewal, actor)

    next_contract = None
    if outcome != RenewalStatus.CHURNED:
        start, end = next_period(contract.start_date, contract.end_date)
        if next_end_date is not None:
            if next_end_date <= start:
                raise ValidationError({"next_end_date": _("The next period must end after it starts.")})
            end = next_end_date
        next_contract = contract_create(
            actor=actor,
            account=renewal.account,
            start_date=start,
            end_date=end,
            arr=outcome_arr,
            products=contract.products,
            currency=contract.currency,
            auto_renew=contract.auto_renew,
            previous=contract,
            customer_reminders=contract.customer_reminders,
            customer_language=contract.customer_language,
        )
    timeline_record(
        account=renewal.account,
        kind="renewal_closed",
        message=message(
            gettext_noop("Renewal due %(date)s closed: %(outcome)s"),
            date=renewal.due_date.isoformat(),
            outcome=choice(RenewalOpportunity, "status", renewal.status),
        ),
        body="\n".join(filter(None, (str(churn_reason or ""), reason))),
        actor=person_or_none(actor),
        data={
            "reason": reason,
            "renewal_id": renewal.pk,
            "outcome": outcome,
            "outcome_arr": str(outcome_arr),
            "previous_arr": str(contract.arr),
            "next_contract_id": next_contract.pk if next_contract else None,
        },
    )
    transaction.on_commit(
        lambda: renewal_closed.send(sender=RenewalOpportunity, renewal=renewal, outcome=outcome, actor=actor)
    )
    return renewal


__all__ = [
    "OPEN_STATUSES",
    "contract_create",
    "contract_update",
    "renewal_close",
    "renewal_mark_at_risk",
    "renewal_override_forecast",
    "renewal_set_stage",
]
