from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks and chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from collections.abc import Callable
        from typing import Any

        from django.dispatch import Signal

        from accounts.signals import stakeholder_left
        from core.signals import notifications_created
        from health.signals import activity_drops_detected, health_colours_changed
        from renewals.signals import renewal_marked_at_risk

        from . import receivers

        connections: list[tuple[Signal, Callable[..., Any]]] = [
            (stakeholder_left, receivers.on_stakeholder_left),
            (activity_drops_detected, receivers.on_activity_drops_detected),
            (renewal_marked_at_risk, receivers.on_renewal_marked_at_risk),
            (health_colours_changed, receivers.on_health_colours_changed),
            (notifications_created, receivers.on_notifications_created),
        ]
        for signal, receiver in connections:
            signal.connect(receiver, dispatch_uid=f"webhooks.{receiver.__name__}")
