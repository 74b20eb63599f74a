"""Bulk actions on the book: give the checked accounts a new owner (managers and
admins), add the same task to each (``playbooks.bulk.tasks_bulk_create``).

The owner change goes through ``accounts.services.AccountBatch`` (the rules of
``account_update``, written set-based with history and one "owner changed" timeline
entry per account); the open tasks that follow the owner move with it in the same
transaction. All-or-nothing: an account outside the scope, or an owner the actor may
not assign, refuses the whole action. The undo (ten seconds) gives every account still
owned by the new owner back to its previous one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can_review_dossiers
from accounts.saved_segments import account_ids_clean
from accounts.selectors import account_scope
from accounts.services import AccountBatch
from core.types import AnyUser
from core.undo import BulkOutcome, undo_state, undo_token
from playbooks.services import tasks_follow_owner

MAX_ACCOUNTS = 200


def can_assign_owners(user: AnyUser) -> bool:
    """Managers and admins move accounts between people; a CSM does not."""
    return can_review_dossiers(user)


def _move(*, actor: AnyUser, moves: dict[int, User | None]) -> int:
    """Give each account (id → new owner) its owner; returns how many changed."""
    accounts = list(
        account_scope(user=actor).filter(pk__in=sorted(moves)).select_for_update(of=("self",)).order_by("pk")
    )
    found = {account.pk for account in accounts}
    if missing := [pk for pk in sorted(moves) if pk not in found]:
        # By number only: an account outside the scope must not show its name.
        raise ValidationError(
            {"account": _("Account #%(id)s is not one you can change; nothing was changed.") % {"id": missing[0]}}
        )
    batch = AccountBatch(actor=actor)
    for account in accounts:
        errors = batch.update(account, owner=moves[account.pk])
        if errors:
            field, messages = next(iter(errors.items()))
            raise ValidationError({field: f"{account.name}: {' '.join(messages)}"})
    _created, updated = batch.save()
    if updated:
        tasks_follow_owner(account_ids=[account.pk for account, _previous, _changed in batch.to_update])
    return updated


@transaction.atomic
def book_assign_owner(*, actor: AnyUser, account_ids: Collection[Any], owner: User | None) -> BulkOutcome:
    """Make ``owner`` the owner of every chosen account (managers and admins only)."""
    if not can_assign_owners(actor):
        raise PermissionDenied(_("Only managers and admins assign account owners."))
    if owner is None:
        raise ValidationError({"owner": _("Choose the new owner.")})
    ids = account_ids_clean(account_ids, most=MAX_ACCOUNTS)
    previous = dict(account_scope(user=actor).filter(pk__in=ids).values_list("pk", "owner_id"))
    moved = _move(actor=actor, moves=dict.fromkeys(ids, owner))
    state = {"owner": owner.pk, "previous": [[pk, previous.get(pk)] for pk in ids]}
    return BulkOutcome(count=moved, undo=undo_token(actor=actor, action="book_owner", state=state))


@transaction.atomic
def book_assign_owner_undo(*, actor: AnyUser, token: str) -> BulkOutcome:
    """Give the accounts back to their previous owners (those still with the new one)."""
    if not can_assign_owners(actor):
        raise PermissionDenied(_("Only managers and admins assign account owners."))
    state = undo_state(actor=actor, action="book_owner", token=token)
    try:
        owner_id = int(state["owner"])
        previous = {int(pk): (None if old is None else int(old)) for pk, old in state["previous"]}
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError({"undo": _("This cannot be undone.")}) from error
    still = set(
        account_scope(user=actor).filter(pk__in=sorted(previous), owner_id=owner_id).values_list("pk", flat=True)
    )
    people = get_user_model().objects.in_bulk({old for pk, old in previous.items() if pk in still and old})
    moves = {pk: people.get(old) if old else None for pk, old in previous.items() if pk in still and old != owner_id}
    return BulkOutcome(count=_move(actor=actor, moves=moves) if moves else 0)
