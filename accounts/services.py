"""Writes to customer accounts. Views, the API, imports and commands all call these.

``account_create`` and ``account_update`` write one account; ``AccountBatch`` checks
many by the same rules (owner default, assignable owners, model validation) and
writes them set-based, with the same history and timeline rows.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit_source import current_audit_source
from core.messages import message, word
from core.people import display_name, person_or_none
from core.types import AnyUser

from .access import visible_accounts_q
from .batch_sql import accounts_insert, accounts_update, history_copy, timeline_created
from .models import Account
from .selectors import assignable_owners
from .signals import account_created, account_updated, accounts_bulk_written
from .timeline import TimelineDraft, timeline_record_many

EDITABLE_FIELDS = ("name", "external_id", "industry", "arr", "icp_fit", "owner", "go_live_date", "status")
BATCH_SIZE = 2000
_NOT_CHECKED_IN_BATCH = {field.name for field in Account._meta.fields} - (set(EDITABLE_FIELDS) - {"owner"})


def _sees_every_account(actor: AnyUser) -> bool:
    return visible_accounts_q(actor) is None


def _new_account(
    *,
    actor: AnyUser,
    sees_every_account: bool,
    name: str,
    external_id: str | None = None,
    industry: str | None = None,
    arr: Decimal | int = Decimal("0"),
    icp_fit: str | None = None,
    owner: User | None = None,
    go_live_date: date | None = None,
    status: str | None = None,
) -> Account:
    """The unsaved account ``account_create`` would write (fields not given keep their defaults)."""
    if owner is None and not sees_every_account:
        # Only those who see every account may leave one unassigned; anyone else
        # would create an account they could not see afterwards.
        owner = person_or_none(actor)
    account = Account(name=name, external_id=external_id or None, arr=arr, owner=owner, go_live_date=go_live_date)
    if industry:
        account.industry = industry
    if icp_fit:
        account.icp_fit = icp_fit
    if status:
        account.status = status
    return account


def _owner_refused() -> ValidationError:
    # The same words whether the person is outside the actor's team or does not
    # exist at all: an error must not confirm who the other teams are.
    return ValidationError({"owner": _("Not a person you can assign.")})


def _unassigned_refused() -> ValidationError:
    # Anyone but an admin would lose the account from their own scope (and every
    # scope but an admin's) by leaving it without an owner.
    return ValidationError({"owner": _("Choose an owner: only an admin can leave an account unassigned.")})


def _check_owner(*, actor: AnyUser, owner: User | None) -> None:
    if owner is None:
        if not _sees_every_account(actor):
            raise _unassigned_refused()
        return
    if not assignable_owners(user=actor).filter(pk=owner.pk).exists():
        raise _owner_refused()


def _created_entry(account: Account, actor: AnyUser) -> TimelineDraft:
    return TimelineDraft(
        account=account, kind="account_created", message=message(gettext_noop("Account created")), actor=actor
    )


def _owner_param(user: User | None) -> Any:
    return display_name(user) if user is not None else word(gettext_noop("nobody"))


@dataclass(frozen=True)
class OwnerChangeNote:
    """How a caller with its own story tells an owner change on the timeline (one entry,
    in place of the plain "Owner changed"): a rebalancing says so, with its reason.
    ``message`` is given the ``old`` and ``new`` owner parameters."""

    kind: str
    message_key: str
    body: str = ""
    data: dict[str, Any] | None = None


def _owner_changed_entry(
    account: Account, previous_owner: User | None, actor: AnyUser, note: OwnerChangeNote | None = None
) -> TimelineDraft:
    key = note.message_key if note else gettext_noop("Owner changed: %(old)s → %(new)s")
    return TimelineDraft(
        account=account,
        kind=note.kind if note else "owner_changed",
        message=message(key, old=_owner_param(previous_owner), new=_owner_param(account.owner)),
        body=note.body if note else "",
        actor=actor,
        data={
            **((note.data or {}) if note else {}),
            "from": getattr(previous_owner, "pk", None),
            "to": account.owner_id,
        },
    )


def _differs(account: Account, field: str, value: Any) -> bool:
    if field == "owner":
        return getattr(value, "pk", None) != account.owner_id
    return bool(getattr(account, field) != value)


@transaction.atomic
def account_create(
    *,
    actor: AnyUser,
    name: str,
    external_id: str | None = None,
    industry: str | None = None,
    arr: Decimal | int = Decimal("0"),
    icp_fit: str | None = None,
    owner: User | None = None,
    go_live_date: date | None = None,
    status: str | None = None,
) -> Account:
    account = _new_account(
        actor=actor,
        sees_every_account=_sees_every_account(actor),
        name=name,
        external_id=external_id,
        industry=industry,
        arr=arr,
        icp_fit=icp_fit,
        owner=owner,
        go_live_date=go_live_date,
        status=status,
    )
    _check_owner(actor=actor, owner=account.owner)
    account.full_clean()
    account._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    account.save()
    timeline_record_many([_created_entry(account, actor)])
    transaction.on_commit(lambda: account_created.send(sender=Account, account=account, actor=actor))
    return account


def _check_fields(changes: Collection[str]) -> None:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in sorted(unknown)})


@transaction.atomic
def account_update(
    *, actor: AnyUser, account: Account, owner_note: OwnerChangeNote | None = None, **changes: Any
) -> Account:
    """Change the given fields. The caller has already fetched ``account`` in scope.

    A new owner follows ``account_create``'s rule: someone the actor may assign, and
    none at all only for an actor who sees every account. The owner change writes one
    timeline entry: "Owner changed", or the caller's ``owner_note``.
    """
    _check_fields(changes)
    if "owner" in changes and changes["owner"] != account.owner:
        _check_owner(actor=actor, owner=changes["owner"])
    if "external_id" in changes:
        changes["external_id"] = changes["external_id"] or None
    previous_owner = account.owner
    for field, value in changes.items():
        setattr(account, field, value)
    account.full_clean()
    account._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    account.save()
    if account.owner != previous_owner:
        timeline_record_many([_owner_changed_entry(account, previous_owner, actor, owner_note)])
    previous_owner_id, fields = getattr(previous_owner, "pk", None), sorted(changes)
    transaction.on_commit(
        lambda: account_updated.send(
            sender=Account, account=account, fields=fields, previous_owner_id=previous_owner_id, actor=actor
        )
    )
    return account


class AccountBatch:
    """Many ``account_create`` / ``account_update`` calls, checked one by one, written at once.

    ``create`` and ``update`` apply the rules of the single services (the owner
    default, who may be assigned, the model's validation) and return the errors by
    field; nothing is written until ``save``, which writes set-based (``batch_sql``):
    the accounts, their history rows and the same timeline entries, then, after commit,
    one ``accounts_bulk_written`` signal for the whole batch. Uniqueness of external
    ids is the caller's to check set-based (the database refuses duplicates anyway).
    """

    def __init__(self, *, actor: AnyUser) -> None:
        self.actor = actor
        self.sees_every_account = _sees_every_account(actor)
        self._assignable: set[Any] | None = None
        self.to_create: list[Account] = []
        # (account, its previous owner's id, the names of the fields that change)
        self.to_update: list[tuple[Account, Any, list[str]]] = []
        self._update_fields: set[str] = set()

    def _owner_errors(self, owner: User | None) -> dict[str, list[str]]:
        if owner is None:
            return {} if self.sees_every_account else _unassigned_refused().message_dict
        if self._assignable is None:
            self._assignable = set(assignable_owners(user=self.actor).values_list("pk", flat=True))
        return {} if owner.pk in self._assignable else _owner_refused().message_dict

    @staticmethod
    def _model_errors(account: Account, skip: Collection[str]) -> dict[str, list[str]]:
        # The fields a caller may set, as full_clean checks them, except: the owner is
        # checked against the assignable set and external ids by the caller, in one
        # query each (full_clean would look both up row by row); the ARR check
        # constraint is also the field's MinValueValidator.
        try:
            account.full_clean(
                exclude=_NOT_CHECKED_IN_BATCH | set(skip), validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            return exc.message_dict
        return {}

    def create(self, *, skip: Collection[str] = (), **fields: Any) -> dict[str, list[str]]:
        """Check a new account (the arguments of ``account_create``); queue it when valid.

        ``skip``: fields the caller already found wrong; they are not checked again and
        the account is not queued.
        """
        account = _new_account(actor=self.actor, sees_every_account=self.sees_every_account, **fields)
        errors = {**self._owner_errors(account.owner), **self._model_errors(account, skip)}
        if not errors and not skip:
            self.to_create.append(account)
        return errors

    def update(self, account: Account, *, skip: Collection[str] = (), **changes: Any) -> dict[str, list[str]] | None:
        """Check changes to ``account`` (fetched in the actor's scope); queue them when valid.

        None when nothing would change. The owner is compared by id: reading
        ``account.owner`` would cost a query a row.
        """
        _check_fields(changes)
        if "external_id" in changes:
            changes["external_id"] = changes["external_id"] or None
        changed = sorted(field for field, value in changes.items() if _differs(account, field, value))
        if not changed:
            return None
        previous_owner_id = account.owner_id
        # A copy: a refused row must leave the caller's instance as it was.
        account = copy.copy(account)
        errors = self._owner_errors(changes["owner"]) if "owner" in changed else {}
        for field, value in changes.items():
            setattr(account, field, value)
        errors.update(self._model_errors(account, skip))
        if not errors and not skip:
            self.to_update.append((account, previous_owner_id, changed))
            self._update_fields.update(changed)
        return errors

    @transaction.atomic
    def save(self) -> tuple[int, int]:
        """Write the queued accounts, their history and timeline rows; (created, updated)."""
        # Written in SQL, so simple_history's signals do not fill the source: it is passed.
        user, source = person_or_none(self.actor), current_audit_source()
        user_id, now = getattr(user, "pk", None), timezone.now()
        if self.to_create:
            accounts_insert(self.to_create, now=now)
            created_ids = [account.pk for account in self.to_create]
            history_copy(created_ids, history_type="+", user_id=user_id, reason=source, when=now)
            timeline_created(created_ids, message=message(gettext_noop("Account created")), actor_id=user_id, when=now)
        if self.to_update:
            accounts = [account for account, _previous, _changed in self.to_update]
            fields = {*self._update_fields, "updated_at"}
            for account in accounts:
                account.updated_at = now  # as save() would (bulk_update skips auto_now)
                if account.owner_id is not None and account.queue_team_id is not None:
                    account.queue_team_id = None  # given an owner: out of the unassigned queue, as save() does
                    fields.add("queue_team")
            accounts_update(accounts, sorted(fields))
            history_copy([a.pk for a in accounts], history_type="~", user_id=user_id, reason=source, when=now)
            timeline_record_many(self._owner_changed_entries())
        self._announce()
        return len(self.to_create), len(self.to_update)

    def _announce(self) -> None:
        """``accounts_bulk_written`` after commit, once for the batch (webhooks listen)."""
        if not (self.to_create or self.to_update):
            return
        created = list(self.to_create)
        updated = [(account, changed) for account, _previous, changed in self.to_update]
        moved = [(account, previous) for account, previous, _changed in self.to_update if account.owner_id != previous]
        announce = partial(
            accounts_bulk_written.send, sender=Account, created=created, updated=updated, owner_changes=moved,
            actor=self.actor,
        )  # fmt: skip
        # Robust: the accounts are committed; a failing receiver is logged, not the caller's error.
        transaction.on_commit(announce, robust=True)

    def _owner_changed_entries(self) -> list[TimelineDraft]:
        moved = [(account, previous) for account, previous, _changed in self.to_update if account.owner_id != previous]
        previous_ids = {previous for _account, previous in moved if previous is not None}
        previous_owners = {user.pk: user for user in get_user_model().objects.filter(pk__in=previous_ids)}
        return [_owner_changed_entry(account, previous_owners.get(previous), self.actor) for account, previous in moved]
