"""Signals ``core`` publishes (core imports no app; higher apps receive them).

``notifications_created``: sent after commit for in-app notifications just written by
``core.notifications`` (integrations.webhooks forwards chosen kinds to chat). kwargs:
``ids`` (new rows' ids) and ``dedupe_keys`` (keys of a batch, which may also name rows
that already existed: a receiver keeps its own dedupe key per notification).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.dispatch import Signal

notifications_created = Signal()


def notifications_announce(*, ids: Sequence[int], dedupe_keys: Sequence[str] = ()) -> None:
    if not (ids or dedupe_keys) or not notifications_created.has_listeners():
        return
    ids, keys = list(ids), list(dedupe_keys)
    transaction.on_commit(lambda: notifications_created.send(sender=None, ids=ids, dedupe_keys=keys))
