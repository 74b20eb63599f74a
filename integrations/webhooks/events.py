"""The webhook event catalog and the versioned JSON envelope (docs/webhooks.md).

Every payload is ``{"id", "type", "version", "occurred_at", "data"}``; the delivery adds
``delivery_id`` when it is sent. ``version`` changes only when a field of ``data``
changes meaning or goes away (adding a field keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PAYLOAD_VERSION = 1

# type -> (label, {data field: description}); the OpenAPI components and the docs list these.
EVENT_TYPES: dict[str, tuple[Any, dict[str, str]]] = {
    "account.created": (_("Account created"), {"account": "Account"}),
    "account.updated": (_("Account updated"), {"account": "Account", "fields": "names of the changed fields"}),
    "account.owner_changed": (
        _("Account owner changed"),
        {"account": "Account", "previous_owner": "Person or null", "owner": "Person or null"},
    ),
    "health.colour_changed": (
        _("Health colour changed"),
        {"account": "Account", "day": "date", "previous_colour": "green/yellow/red", "colour": "green/yellow/red",
         "score": "0-100"},
    ),
    "alert.activity_drop_raised": (_("Activity-drop alert raised"), {"account": "Account", "alert": "Alert"}),
    "alert.activity_drop_resolved": (_("Activity-drop alert resolved"), {"account": "Account", "alert": "Alert"}),
    "stakeholder.key_left": (_("Key stakeholder left"), {"account": "Account", "stakeholder": "Stakeholder"}),
    "task.created": (_("Task created"), {"account": "Account", "task": "Task"}),
    "task.completed": (_("Task completed"), {"account": "Account", "task": "Task"}),
    "renewal.at_risk": (_("Renewal at risk"), {"account": "Account", "renewal": "Renewal", "reason": "text"}),
    "renewal.closed": (_("Renewal closed"), {"account": "Account", "renewal": "Renewal", "outcome": "won/churned"}),
    "nps.response_received": (_("NPS response received"), {"account": "Account", "response": "NpsResponse"}),
    # Today's rules are the playbooks: one event per playbook, account and episode that created tasks.
    "rule.fired": (
        _("Rule fired (a playbook created tasks)"),
        {"rule": "Rule: the playbook's id, key (null for your own), name, trigger", "account": "Account",
         "episode_key": "what fired it, e.g. stage:renewal_window:2026-12-01 or alert:42",
         "tasks": "the Tasks it created", "fired_at": "datetime"},
    ),
}  # fmt: skip
# Documented but not sent yet (none today); endpoints cannot subscribe to these.
RESERVED_EVENT_TYPES: frozenset[str] = frozenset()


def event_type_choices() -> list[tuple[str, Any]]:
    return [(key, label) for key, (label, _fields) in EVENT_TYPES.items() if key not in RESERVED_EVENT_TYPES]


@dataclass(frozen=True)
class Event:
    """One thing that happened. ``key`` identifies it: recording it again queues nothing."""

    type: str
    key: str
    data: dict[str, Any]
    occurred_at: datetime = field(default_factory=timezone.now)

    def envelope(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "type": self.type,
            "version": PAYLOAD_VERSION,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }


def link(path: str) -> str:
    return settings.HOURGLASS_BASE_URL.rstrip("/") + path


def person_data(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "email": user.email or ""}


def account_data(account: Any) -> dict[str, Any]:
    return {
        "id": account.pk,
        "name": account.name,
        "external_id": account.external_id or "",
        "arr": str(account.arr),
        "owner_id": account.owner_id,
        "url": link(f"/accounts/{account.pk}/"),
    }
