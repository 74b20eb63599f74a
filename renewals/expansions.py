"""Writes to expansion opportunities (增购): raise, edit, move stage, win, lose.

The page, the API and the renewal page's form call these; callers fetch the opportunity
through ``expansion_selectors`` (scoped to the acting user) first. Every change writes a
history row (``simple_history``) and a timeline entry; winning raises the contract in
force by the amount (``amendments.amendment_from_won_expansion``, once per opportunity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import AnyUser
from accounts.models import Account
from accounts.timeline import timeline_record
from core.messages import Message, choice, message
from core.people import person_or_none

from .amendments import amendment_from_won_expansion
from .models import (
    OPEN_EXPANSION_STAGES,
    Contract,
    ExpansionOpportunity,
    ExpansionOwnerRole,
    ExpansionOwnerRule,
    ExpansionStage,
)
from .periods import add_months

EXPANSION_SALES_MONTHS_RANGE = (3, 12)
EXPANSION_EDITABLE_FIELDS = ("title", "kind", "amount", "stage", "expected_close", "probability")


def expansion_sales_months() -> int:
    """``HOURGLASS_EXPANSION_SALES_MONTHS`` (default 6): how long expansion stays with sales."""
    months = getattr(settings, "HOURGLASS_EXPANSION_SALES_MONTHS", 6)
    low, high = EXPANSION_SALES_MONTHS_RANGE
    if isinstance(months, bool) or not isinstance(months, int) or not low <= months <= high:
        raise ImproperlyConfigured(f"HOURGLASS_EXPANSION_SALES_MONTHS must be a whole number from {low} to {high}.")
    return months


def _first_signed(account: Account) -> date | None:
    return Contract.objects.filter(account=account).aggregate(first=Min("start_date"))["first"]


def expansion_owner_role(*, account: Account, on: date) -> str:
    """Whose phase ``on`` is: sales in the first N months after the first contract started
    (and before any contract), the CSM's after — whether or not a sales owner is set."""
    first_start = _first_signed(account)
    if first_start is None or on < add_months(first_start, expansion_sales_months()):
        return ExpansionOwnerRole.SALES
    return ExpansionOwnerRole.CSM


@dataclass(frozen=True)
class OwnerDecision:
    owner_id: int | None
    role: str
    rule: str
    months: int
    signed_on: date | None


def expansion_owner_decision(*, account: Account, on: date) -> OwnerDecision:
    """The owner person by the rule: the sales owner while it is sales' phase (a month
    counts from the first contract's start; on the day N months later it is the CSM's),
    the CSM (account owner) after — and whenever the account has no sales owner."""
    months = expansion_sales_months()
    signed_on = _first_signed(account)
    has_sales = account.sales_owner_id is not None
    if signed_on is None:
        rule = ExpansionOwnerRule.SALES_UNSIGNED if has_sales else ExpansionOwnerRule.CSM_UNSIGNED
    elif on < add_months(signed_on, months):
        rule = ExpansionOwnerRule.SALES_WINDOW if has_sales else ExpansionOwnerRule.CSM_NO_SALES_OWNER
    else:
        rule = ExpansionOwnerRule.CSM_AFTER
    sales = rule in (ExpansionOwnerRule.SALES_WINDOW, ExpansionOwnerRule.SALES_UNSIGNED)
    return OwnerDecision(
        owner_id=account.sales_owner_id if sales else account.owner_id,
        role=ExpansionOwnerRole.SALES if sales else ExpansionOwnerRole.CSM,
        rule=rule,
        months=months,
        signed_on=signed_on,
    )


def _check(expansion: ExpansionOpportunity) -> None:
    try:
        expansion.full_clean(exclude=["account", "created_by", "owner"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from error


def _save(expansion: ExpansionOpportunity, actor: AnyUser | None) -> None:
    _check(expansion)
    expansion._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    expansion.save()


def _lock(expansion: ExpansionOpportunity) -> ExpansionOpportunity:
    """Re-read under a row lock, so two people winning it at once serialise."""
    return ExpansionOpportunity.objects.select_for_update().select_related("account").get(pk=expansion.pk)


def _refuse_if_won(expansion: ExpansionOpportunity) -> None:
    if expansion.stage == ExpansionStage.WON:
        raise ValidationError(
            {"stage": _("This expansion is won: its contract amendment stands and it cannot change.")}
        )


def _timeline(expansion: ExpansionOpportunity, entry: str, note: Message, actor: AnyUser | None, **data: Any) -> None:
    timeline_record(
        account=expansion.account,
        kind=entry,
        message=note,
        body=expansion.lost_reason if entry == "expansion_lost" else "",
        actor=person_or_none(actor),
        data={"expansion_id": expansion.pk, **data},
    )


@transaction.atomic
def expansion_create(
    *,
    account: Account,
    title: str,
    kind: str,
    amount: Decimal,
    actor: AnyUser | None,
    stage: str = ExpansionStage.IDENTIFIED,
    expected_close: date | None = None,
    probability: int | None = None,
    today: date | None = None,
) -> ExpansionOpportunity:
    """Raise an opportunity; its owner follows the rule as of ``today``."""
    decision = expansion_owner_decision(account=account, on=today or timezone.localdate())
    expansion = ExpansionOpportunity(
        account=account,
        title=(title or "").strip(),
        kind=kind,
        amount=amount,
        stage=ExpansionStage.IDENTIFIED if stage == ExpansionStage.WON else stage,
        expected_close=expected_close,
        probability=probability,
        owner_id=decision.owner_id,
        owner_role=decision.role,
        owner_rule=decision.rule,
        owner_rule_months=decision.months,
        owner_rule_signed_on=decision.signed_on,
        created_by=person_or_none(actor),
    )
    if stage == ExpansionStage.LOST:
        raise ValidationError({"stage": _("Raise an expansion in an open stage (or won), not lost.")})
    _save(expansion, actor)
    _timeline(
        expansion,
        "expansion_created",
        message(gettext_noop("Expansion raised: %(title)s (%(amount)s)"), title=expansion.title, amount=str(amount)),
        actor,
        kind=kind,
        owner_role=decision.role,
        owner_id=decision.owner_id,
        owner_rule=decision.rule,
    )
    if stage == ExpansionStage.WON:
        return expansion_win(expansion=expansion, actor=actor, closed_on=expected_close)
    return expansion


@transaction.atomic
def expansion_update(*, expansion: ExpansionOpportunity, actor: AnyUser | None, **changes: Any) -> ExpansionOpportunity:
    """Edit the figures or move between stages; to won or lost goes through ``expansion_win``
    / ``expansion_lose``. A move to another stage drops an entered probability (the new
    stage's usual one applies) unless one comes with the move."""
    unknown = set(changes) - set(EXPANSION_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in sorted(unknown)})
    expansion = _lock(expansion)
    _refuse_if_won(expansion)
    stage = changes.pop("stage", expansion.stage)
    if stage == ExpansionStage.WON:
        for name, value in changes.items():
            setattr(expansion, name, value)
        _check(expansion)
        return expansion_win(expansion=expansion, actor=actor, closed_on=expansion.expected_close, _locked=True)
    if stage == ExpansionStage.LOST and expansion.stage != ExpansionStage.LOST:
        raise ValidationError({"stage": _("Use “lose” to close an expansion as lost, with the reason.")})
    old_stage = expansion.stage
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    for name, value in changes.items():
        setattr(expansion, name, value)
    if stage != old_stage:
        expansion.stage = stage
        if "probability" not in changes:
            expansion.probability = None
        if old_stage == ExpansionStage.LOST:  # reopened
            expansion.lost_reason = ""
            expansion.closed_at = None
    _save(expansion, actor)
    if stage != old_stage:
        _timeline(
            expansion,
            "expansion_stage",
            message(
                gettext_noop("Expansion %(title)s: %(stage)s"),
                title=expansion.title,
                stage=choice(ExpansionOpportunity, "stage", stage),
            ),
            actor,
            **{"from": old_stage, "to": stage},
        )
    return expansion


@transaction.atomic
def expansion_win(
    *,
    expansion: ExpansionOpportunity,
    actor: AnyUser | None,
    closed_on: date | None = None,
    _locked: bool = False,
) -> ExpansionOpportunity:
    """Close as won on ``closed_on`` (default today): the contract in force that day is
    raised by the amount from that day (a contract amendment). Winning twice is a no-op."""
    if not _locked:
        expansion = _lock(expansion)
    if expansion.stage == ExpansionStage.WON:
        return expansion
    closed_on = closed_on or timezone.localdate()
    old_stage = expansion.stage
    expansion.stage = ExpansionStage.WON
    expansion.expected_close = closed_on
    expansion.probability = None
    expansion.lost_reason = ""
    expansion.closed_at = timezone.now()
    _save(expansion, actor)
    amendment = amendment_from_won_expansion(expansion=expansion, actor=actor)
    _timeline(
        expansion,
        "expansion_won",
        message(
            gettext_noop("Expansion won: %(title)s (%(amount)s) from %(date)s"),
            title=expansion.title,
            amount=str(expansion.amount),
            date=closed_on.isoformat(),
        ),
        actor,
        **{"from": old_stage, "to": ExpansionStage.WON, "amendment_id": amendment.pk if amendment else None},
    )
    return expansion


@transaction.atomic
def expansion_lose(*, expansion: ExpansionOpportunity, actor: AnyUser | None, reason: str) -> ExpansionOpportunity:
    """Close an open opportunity as lost, saying why. Losing a lost one again is a no-op."""
    reason = (reason or "").strip()
    expansion = _lock(expansion)
    _refuse_if_won(expansion)
    if expansion.stage == ExpansionStage.LOST:
        return expansion
    if not reason:
        raise ValidationError({"reason": _("Say why the expansion was lost.")})
    old_stage = expansion.stage
    expansion.stage = ExpansionStage.LOST
    expansion.probability = None
    expansion.lost_reason = reason
    expansion.closed_at = timezone.now()
    _save(expansion, actor)
    _timeline(
        expansion,
        "expansion_lost",
        message(gettext_noop("Expansion lost: %(title)s"), title=expansion.title),
        actor,
        **{"from": old_stage, "to": ExpansionStage.LOST},
    )
    return expansion


__all__ = [
    "EXPANSION_EDITABLE_FIELDS",
    "EXPANSION_SALES_MONTHS_RANGE",
    "OPEN_EXPANSION_STAGES",
    "OwnerDecision",
    "expansion_create",
    "expansion_lose",
    "expansion_owner_decision",
    "expansion_owner_role",
    "expansion_sales_months",
    "expansion_update",
    "expansion_win",
]
