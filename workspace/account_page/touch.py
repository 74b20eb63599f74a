"""Log a touch in two taps: the form opens with the kind and the moment already filled.

The kind is the one this user logged last on this account, else the account's most
used one, else a call; the subject starts as the kind's name (the browser renames it
while the user has not typed one), so "Log" is the only other tap.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count
from django.utils import timezone

from accounts.forms import TouchpointForm
from accounts.models import Account, TimelineEntry, TouchpointKind
from config.http import HtmxHttpRequest

# How far back "the account's most used kind" looks (by the account's timeline index).
RECENT_TOUCHES = 50


def default_touch_kind(*, account: Account, user: Any) -> str:
    """At most two index reads on (account, is_touchpoint, -occurred_at)."""
    touches = TimelineEntry.objects.filter(account=account, is_touchpoint=True, kind__in=TouchpointKind.values)
    mine = touches.filter(actor_id=user.pk).order_by("-occurred_at").values_list("kind", flat=True)[:1]
    if kind := next(iter(mine), None):
        return kind
    recent = touches.order_by("-occurred_at").values_list("pk", flat=True)[:RECENT_TOUCHES]
    common = (
        TimelineEntry.objects.filter(pk__in=list(recent))
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("-n", "kind")
        .values_list("kind", flat=True)[:1]
    )
    return next(iter(common), None) or TouchpointKind.CALL


def kind_from_entries(entries: list[TimelineEntry], *, user: Any) -> str | None:
    """The default kind read from timeline entries already loaded (newest first), or
    None when they hold no touchpoint (then ask the database)."""
    touches = [e for e in entries if e.is_touchpoint and e.kind in TouchpointKind.values]
    mine = next((e.kind for e in touches if e.actor_id == user.pk), None)
    if mine or not touches:
        return mine
    counts = Counter(e.kind for e in touches[:RECENT_TOUCHES])
    return min(counts, key=lambda kind: (-counts[kind], kind))


def touch_form(request: HtmxHttpRequest, account: Account, kind: str | None = None) -> TouchpointForm:
    """A fresh form: ``kind`` (or the default one), now, and the kind's name as subject."""
    kind = kind or default_touch_kind(account=account, user=request.user)
    return TouchpointForm(
        account=account,
        initial={
            "kind": kind,
            "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
            "title": TouchpointKind(kind).label,
        },
    )


def kind_labels() -> dict[str, str]:
    """Each kind's name, for the browser to rename an untouched subject."""
    return {value: str(label) for value, label in TouchpointKind.choices}
