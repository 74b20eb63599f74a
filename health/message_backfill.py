"""Message keys for the timeline entries and notifications of alerts raised before texts
were stored as keys (run by migration ``health 0009``).

The texts are rebuilt from the alert row by ``alerts.alert_messages`` and kept only where
they render back to the stored text (``core.message_backfill``); the others keep theirs.
"""

from __future__ import annotations

from typing import Any

from core.message_backfill import Proposal, backfill

from .alerts import alert_messages

ENTRY_KIND = "activity_drop"
OWNER_KEY = "activity-drop:{pk}:owner"


def _alert_id(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def alert_messages_backfill(*, alert_model: Any, timeline_model: Any, notification_model: Any) -> dict[str, int]:
    """Back-fill the alerts' entries and owner notifications; the rows changed per model."""
    entries = list(timeline_model.objects.filter(kind=ENTRY_KIND, is_touchpoint=False, message_key="").order_by("pk"))
    notifications = list(
        notification_model.objects.filter(kind=ENTRY_KIND, message_key="", dedupe_key__startswith="activity-drop:")
    )
    wanted = {_alert_id(entry.data.get("alert_id")) for entry in entries if isinstance(entry.data, dict)}
    by_key: dict[str, int] = {}
    for notification in notifications:
        parts = (notification.dedupe_key or "").split(":")
        if len(parts) == 3 and parts[1].isdigit():
            by_key[notification.dedupe_key] = int(parts[1])
            wanted.add(int(parts[1]))
    wanted.discard(None)
    alerts = alert_model.objects.select_related("account").in_bulk(list(wanted))
    proposals = {pk: alert_messages(alert) for pk, alert in alerts.items()}

    def for_entry(entry: Any) -> Proposal | None:
        data = entry.data if isinstance(entry.data, dict) else {}
        return proposals.get(_alert_id(data.get("alert_id")))

    def for_notification(notification: Any) -> Proposal | None:
        return proposals.get(by_key.get(notification.dedupe_key or "", -1))

    return {
        "timeline": backfill(entries, model=timeline_model, propose=for_entry),
        "notifications": backfill(notifications, model=notification_model, propose=for_notification),
    }
