from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .notifications import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: evaluated only when a template shows it (one COUNT query).
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
