"""Webhook events from batch writes: the CSV import and the CRM sync (docs/webhooks.md).

``accounts.signals.accounts_bulk_written`` arrives once per batch, after commit, with
every account the batch created or changed. It becomes the same ``account.created``,
``account.updated`` and ``account.owner_changed`` events the single writes send (same
event keys, so an event is queued once per endpoint), in a constant number of queries
whatever the batch's size: the subscriptions (cached, else one read), one read of the
people named by owner changes, and ``events_record``'s read and insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model

from .events import Event, account_data, person_data
from .receivers import _subscriptions
from .services import events_record

ACCOUNT_EVENTS = frozenset({"account.created", "account.updated", "account.owner_changed"})


def _subscribed() -> set[str]:
    """The account event types some active webhook endpoint subscribes to (cached, as the
    single writes' receivers read it: a batch nobody listens to costs no query)."""
    return set(ACCOUNT_EVENTS & _subscriptions()[0])


def _when(account: Any) -> str:
    return f"{account.updated_at:%Y%m%d%H%M%S%f}"


def _owner_changed_events(owner_changes: Sequence[tuple[Any, Any]]) -> list[Event]:
    ids = {pk for account, previous in owner_changes for pk in (previous, account.owner_id) if pk}
    people = get_user_model().objects.in_bulk(list(ids)) if ids else {}
    return [
        Event(
            "account.owner_changed",
            f"account.owner_changed:{account.pk}:{_when(account)}",
            {"account": account_data(account), "previous_owner": person_data(people.get(previous)),
             "owner": person_data(people.get(account.owner_id))},
        )
        for account, previous in owner_changes
    ]  # fmt: skip


def on_accounts_bulk_written(
    sender: Any,
    created: Sequence[Any] = (),
    updated: Sequence[tuple[Any, Sequence[str]]] = (),
    owner_changes: Sequence[tuple[Any, Any]] = (),
    **kwargs: Any,
) -> None:
    if not (created or updated):
        return
    wanted = _subscribed()
    if not wanted:
        return
    events: list[Event] = []
    if "account.created" in wanted:
        events += [Event("account.created", f"account.created:{a.pk}", {"account": account_data(a)}) for a in created]
    if "account.updated" in wanted:
        events += [
            Event(
                "account.updated",
                f"account.updated:{account.pk}:{_when(account)}",
                {"account": account_data(account), "fields": list(fields)},
            )
            for account, fields in updated
        ]
    if "account.owner_changed" in wanted and owner_changes:
        events += _owner_changed_events(owner_changes)
    events_record(events)
