"""The main navigation: one entry per area, in the order a CSM uses them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.reviews import can_review
from core.types import AnyUser
from org.models import Role
from org.people import can_manage_people
from org.roles import is_manager_or_admin, role_of


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    active_prefix: str
    staff_only: bool = False
    visible_if: Callable[[AnyUser], bool] | None = None


NAV_ITEMS: list[NavItem] = [
    NavItem(_("My day"), "my_day", "/my-day/"),
    NavItem(_("Accounts"), "accounts:list", "/accounts/"),
    NavItem(_("Tasks"), "playbooks:task_list", "/tasks/"),
    NavItem(_("Renewals"), "renewals:list", "/renewals/"),
    NavItem(_("NPS"), "health:nps", "/health/nps/"),
    NavItem(_("Surveys"), "outreach:survey_list", "/outreach/"),
    NavItem(_("Dossier reviews"), "accounts:review_queue", "/accounts/reviews/", visible_if=can_review),
    NavItem(_("Knowledge"), "knowledge:case_list", "/knowledge/"),
    NavItem(_("Team"), "capacity:team", "/capacity/"),
    NavItem(_("Time"), "capacity:timesheet", "/capacity/time/"),
    NavItem(_("Unmatched email"), "inbox:unmatched", "/integrations/inbox/"),
    NavItem(_("People"), "people:list", "/people/", visible_if=can_manage_people),
    NavItem(
        _("Integrations"),
        "webhooks:list",
        "/integrations/webhooks/",
        visible_if=lambda user: role_of(user) == Role.ADMIN,
    ),
    NavItem(_("System"), "system:status", "/system/", visible_if=lambda user: role_of(user) == Role.ADMIN),
    NavItem(_("Audit log"), "audit:log", "/audit/", visible_if=is_manager_or_admin),
    NavItem(_("Settings"), "settings:overview", "/settings/", visible_if=is_manager_or_admin),
    NavItem(_("Admin"), "admin:index", "/admin/", staff_only=True),
]


def navigation_for(request: HttpRequest) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    shown = [
        item
        for item in NAV_ITEMS
        if not (item.staff_only and not user.is_staff) and (item.visible_if is None or item.visible_if(user))
    ]
    # One active item: the most specific prefix wins (/capacity/time/ is Time, not Team).
    matching = [item for item in shown if request.path.startswith(item.active_prefix)]
    active = max(matching, key=lambda item: len(item.active_prefix)) if matching else None
    return [{"label": item.label, "url": reverse(item.url_name), "active": item is active} for item in shown]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the navigation of the signed-in user."""
    return {"nav_items": navigation_for(request)}
