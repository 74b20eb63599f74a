"""An old link to an account that was moved away from the person opening it.

Outside a person's scope an account is a 404 that reveals nothing (``get_account_for_user``).
One exception is kinder: someone who owned the account and lost it to a move (an owner
change, a rebalancing, a release when they left) gets a page saying to whom and when it
moved — what they knew already, nothing more (not even its name). Anyone else, and any
account they never owned, still gets the plain 404. The page keeps the 404 status.

``MovedAccountMiddleware`` turns the 404 of a GET to an ``accounts:`` page with an
account ``pk`` into that page; the lookup runs only on that 404, so pages pay nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.people import display_name
from core.types import AnyUser

from .models import TimelineEntry
from .selectors import account_scope

# The timeline kinds that record a change of owner, with ``data`` {"from": id, "to": id}.
OWNER_MOVE_KINDS = ("owner_changed", "capacity_rebalanced")


@dataclass(frozen=True)
class MovedAway:
    to_name: str  # empty: to the team's unassigned queue
    moved_at: datetime


def account_moved_away(*, user: AnyUser, account_id: Any) -> MovedAway | None:
    """The last move of ``account_id`` away from ``user``, if they cannot see it now."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        account_id = int(account_id)
    except (TypeError, ValueError):
        return None
    if not 0 < account_id < 2**63:  # beyond any id (and a 64-bit column)
        return None
    move = (
        TimelineEntry.objects.filter(account_id=account_id, kind__in=OWNER_MOVE_KINDS, data__from=user.pk)
        .order_by("-occurred_at", "-pk")
        .values("occurred_at", "data")
        .first()
    )
    if move is None or account_scope(user=user).filter(pk=account_id).exists():
        return None
    to_id = (move["data"] or {}).get("to")
    receiver = get_user_model().objects.filter(pk=to_id).first() if to_id else None
    return MovedAway(to_name=display_name(receiver), moved_at=move["occurred_at"])


class MovedAccountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Http404) or request.method != "GET":
            return None
        match = request.resolver_match
        if match is None or match.namespace != "accounts" or "pk" not in match.kwargs:
            return None
        moved = account_moved_away(user=request.user, account_id=match.kwargs["pk"])
        if moved is None:
            return None
        return render(request, "accounts/moved.html", {"moved": moved}, status=404)
