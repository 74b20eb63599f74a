"""Permission-matrix entries of webhooks and chat robots (tests/matrix_support.py):
endpoints and team robots are admin-only; a person's own robot is theirs alone (404 to
everyone else, admins included)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import e

ENTRIES = {
    "webhooks:list": e("admin_page"),
    "webhooks:create": e("admin_page"),
    "webhooks:team_chat_create": e("admin_page"),
    "webhooks:detail": e("admin_page", pk="webhook_endpoint"),
    "webhooks:rotate_secret": e("admin_page", "post", pk="webhook_endpoint"),
    "webhooks:delete": e("admin_page", "post", pk="webhook_endpoint"),
    "webhooks:redeliver": e("admin_page", "post", pk="webhook_endpoint", delivery_pk="webhook_delivery"),
    "webhooks:chat": e("page"),
    "webhooks:chat_detail": e("own_record", pk="own_chat_target"),
    "webhooks:chat_delete": e("own_record", "post", pk="own_chat_target"),
    "webhooks:chat_redeliver": e("own_record", "post", pk="own_chat_target", delivery_pk="chat_delivery"),
    "api:webhook-event-types": e("api_admin"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    from integrations.webhooks.models import Delivery, Endpoint, Kind

    endpoint = Endpoint.objects.create(name="Hook", url="https://example.com/hook", event_types=["task.created"])
    own = Endpoint.objects.create(name="Mine", kind=Kind.SLACK, url="https://hooks.slack.com/x", owner=org.csm_a1)

    def delivery(target: Endpoint) -> Delivery:
        return Delivery.objects.create(
            endpoint=target, dedupe_key=f"matrix:{target.pk}", event_type="task.created", payload={}, status="failed"
        )

    return {
        "webhook_endpoint": endpoint,
        "webhook_delivery": delivery(endpoint),
        "own_chat_target": own,
        "chat_delivery": delivery(own),
    }
