"""The main navigation. Each area appears once its pages exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    active_prefix: str
    staff_only: bool = False


NAV_ITEMS: list[NavItem] = [
    NavItem(_("My day"), "my_day", "/my-day/"),
    NavItem(_("Accounts"), "accounts:list", "/accounts/"),
    NavItem(_("Admin"), "admin:index", "/admin/", staff_only=True),
]


def navigation_for(request: HttpRequest) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = []
    for item in NAV_ITEMS:
        if item.staff_only and not user.is_staff:
            continue
        url = reverse(item.url_name)
        items.append({"label": item.label, "url": url, "active": request.path.startswith(item.active_prefix)})
    return items
