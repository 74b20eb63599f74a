"""Writes to customer accounts. Views, the API, imports and commands all call these."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.people import display_name

from .access import AnyUser, visible_accounts_q
from .models import Account
from .selectors import assignable_owners
from .timeline import timeline_record

EDITABLE_FIELDS = ("name", "external_id", "industry", "arr", "icp_fit", "owner", "go_live_date", "status")


def _check_owner(*, actor: AnyUser, owner: Any) -> None:
    if owner is None:
        return
    if not assignable_owners(user=actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("You cannot assign accounts to %(user)s.") % {"user": owner}})


@transaction.atomic
def account_create(
    *,
    actor: AnyUser,
    name: str,
    external_id: str | None = None,
    industry: str | None = None,
    arr: Decimal | int = Decimal("0"),
    icp_fit: str | None = None,
    owner: Any = None,
    go_live_date: date | None = None,
    status: str | None = None,
) -> Account:
    if owner is None and visible_accounts_q(actor) is not None:
        # Only those who see every account may leave one unassigned; anyone else
        # would create an account they could not see afterwards.
        owner = actor
    _check_owner(actor=actor, owner=owner)
    account = Account(name=name, external_id=external_id or None, arr=arr, owner=owner, go_live_date=go_live_date)
    if industry:
        account.industry = industry
    if icp_fit:
        account.icp_fit = icp_fit
    if status:
        account.status = status
    account.full_clean()
    account._history_user = actor if actor.is_authenticated else None  # type: ignore[attr-defined]
    account.save()
    timeline_record(account=account, kind="account_created", title=_("Account created"), actor=actor)
    return account


@transaction.atomic
def account_update(*, actor: AnyUser, account: Account, **changes: Any) -> Account:
    """Change the given fields. The caller has already fetched ``account`` in scope."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in sorted(unknown)})
    if "owner" in changes and changes["owner"] != account.owner:
        _check_owner(actor=actor, owner=changes["owner"])
    if "external_id" in changes:
        changes["external_id"] = changes["external_id"] or None
    previous_owner = account.owner
    for field, value in changes.items():
        setattr(account, field, value)
    account.full_clean()
    account._history_user = actor if actor.is_authenticated else None  # type: ignore[attr-defined]
    account.save()
    if account.owner != previous_owner:
        timeline_record(
            account=account,
            kind="owner_changed",
            title=_("Owner changed: %(old)s → %(new)s")
            % {"old": _person(previous_owner), "new": _person(account.owner)},
            actor=actor,
            data={"from": getattr(previous_owner, "pk", None), "to": getattr(account.owner, "pk", None)},
        )
    return account


def _person(user: Any) -> str:
    return display_name(user) if user is not None else _("nobody")
