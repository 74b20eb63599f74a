"""Contract amendments: expansion won mid-term, contraction (downgrade) with a reason.

``contract_amend`` is the one write; a won expansion opportunity calls it through
``amendment_from_won_expansion`` (exactly once: the amendment's expansion is unique).
Each amendment writes a timeline entry and its history row, moves the open renewal's
forecast with it (until the CSM made their own call) and updates the account's ARR
ledger after commit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import AnyUser
from accounts.timeline import timeline_record
from core.messages import message
from core.people import person_or_none

from .ledger import ledger_account_changed
from .models import (
    AmendmentKind,
    Contract,
    ContractAmendment,
    ContractStatus,
    ExpansionOpportunity,
    RenewalOpportunity,
)

ZERO = Decimal("0")


def contract_arr_in_force(contract: Contract, on: date) -> Decimal:
    """The contract's ARR on ``on``: its ARR plus the amendments effective by then."""
    deltas = contract.amendments.filter(effective_date__lte=on).values_list("arr_delta", flat=True)
    return contract.arr + sum(deltas, ZERO)


def _validate(contract: Contract, effective_date: date | None, arr_delta: Decimal | None, reason: str) -> Decimal:
    if contract.status == ContractStatus.CANCELLED:
        raise ValidationError({"contract": _("A cancelled contract cannot be amended.")})
    try:
        delta = Decimal(arr_delta) if arr_delta is not None else None
    except (InvalidOperation, TypeError, ValueError):
        delta = None
    if delta is None or not delta.is_finite() or delta == 0:
        raise ValidationError(
            {"arr_delta": _("Enter the change of ARR: positive for an expansion, negative for a contraction.")}
        )
    delta = delta.quantize(Decimal("0.01"))
    if effective_date is None or not contract.start_date <= effective_date <= contract.end_date:
        raise ValidationError(
            {
                "effective_date": _("The change must take effect within the contract (%(start)s to %(end)s).")
                % {"start": contract.start_date.isoformat(), "end": contract.end_date.isoformat()}
            }
        )
    if delta < 0:
        if not reason:
            raise ValidationError({"reason": _("Say why the customer reduced the contract.")})
        # The lowest ARR the contract has from the effective date on, the new delta included.
        points = [
            effective_date,
            *contract.amendments.filter(effective_date__gt=effective_date).values_list("effective_date", flat=True),
        ]
        lowest = min(contract_arr_in_force(contract, day) for day in points) + delta
        if lowest < 0:
            raise ValidationError(
                {
                    "arr_delta": _("A contraction cannot take the contract's ARR below 0 (it is %(arr)s then).")
                    % {"arr": lowest - delta}
                }
            )
    return delta


@transaction.atomic
def contract_amend(
    *,
    contract: Contract,
    effective_date: date | None,
    arr_delta: Decimal | int | str | None,
    actor: AnyUser | None,
    reason: str = "",
    expansion: ExpansionOpportunity | None = None,
) -> ContractAmendment:
    """Change ``contract``'s ARR by ``arr_delta`` from ``effective_date`` to its end."""
    contract = Contract.objects.select_for_update().select_related("account").get(pk=contract.pk)
    reason = (reason or "").strip()
    delta = _validate(contract, effective_date, arr_delta, reason)  # type: ignore[arg-type]
    assert effective_date is not None  # _validate refused None
    amendment = ContractAmendment(
        account=contract.account,
        contract=contract,
        effective_date=effective_date,
        arr_delta=delta,
        kind=AmendmentKind.EXPANSION if delta > 0 else AmendmentKind.CONTRACTION,
        reason=reason,
        expansion=expansion,
        created_by=person_or_none(actor),
    )
    amendment._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    amendment.save()
    _forecast_follows(contract, delta, actor)
    key = (
        gettext_noop("Contract expanded by %(delta)s from %(date)s")
        if delta > 0
        else gettext_noop("Contract reduced by %(delta)s from %(date)s")
    )
    timeline_record(
        account=contract.account,
        kind="contract_amended",
        message=message(key, delta=str(abs(delta)), date=effective_date.isoformat()),
        body=reason,
        actor=person_or_none(actor),
        data={
            "amendment_id": amendment.pk,
            "contract_id": contract.pk,
            "arr_delta": str(delta),
            "effective_date": effective_date.isoformat(),
            "expansion_id": expansion.pk if expansion else None,
        },
    )
    ledger_account_changed(contract.account_id)
    return amendment


def _forecast_follows(contract: Contract, delta: Decimal, actor: AnyUser | None) -> None:
    """The open renewal's forecast moves with the contract until a CSM made their own call."""
    renewal = RenewalOpportunity.objects.select_for_update().filter(contract=contract).first()
    if renewal is None or not renewal.is_open or renewal.override_by_id is not None:
        return
    renewal.forecast_arr = max(renewal.forecast_arr + delta, ZERO)
    renewal._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    renewal.save(update_fields=["forecast_arr", "updated_at"])


def contract_in_force(*, account_id: int, on: date) -> Contract | None:
    """The account's contract in force on ``on`` (the latest started when several are)."""
    return (
        Contract.objects.filter(account_id=account_id, start_date__lte=on, end_date__gte=on)
        .exclude(status=ContractStatus.CANCELLED)
        .order_by("-start_date", "-pk")
        .first()
    )


@transaction.atomic
def amendment_from_won_expansion(*, expansion: ExpansionOpportunity, actor: AnyUser | None) -> ContractAmendment | None:
    """A won expansion raises the contract in force on its close date by its amount, once.

    The close date is the opportunity's expected close (set it to the signing day), or
    today when it has none. No contract in force then: no amendment (the new contract
    carries the ARR). Moving it out of won later does not undo the amendment.
    """
    existing = ContractAmendment.objects.filter(expansion=expansion).first()
    if existing is not None or expansion.amount <= 0:
        return existing
    on = expansion.expected_close or timezone.localdate()
    contract = contract_in_force(account_id=expansion.account_id, on=on)
    if contract is None:
        # Nothing in force to raise: the deal's ARR comes with the contract it is signed in.
        return None
    return contract_amend(
        contract=contract, effective_date=on, arr_delta=expansion.amount, actor=actor, expansion=expansion
    )


def contract_amendments(*, contract: Contract) -> QuerySet[ContractAmendment]:
    return contract.amendments.select_related("created_by", "expansion").order_by("effective_date", "pk")
