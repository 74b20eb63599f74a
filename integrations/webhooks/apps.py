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

        from accounts.signals import account_created, account_updated, accounts_bulk_written, stakeholder_left
        from core.signals import notifications_created
        from health.signals import (
            activity_drop_resolved,
            activity_drops_detected,
            health_colours_changed,
            nps_response_received,
        )
        from playbooks.signals import task_completed, tasks_created
        from renewals.signals import renewal_closed, renewal_marked_at_risk

        from . import bulk, receivers

        connections: list[tuple[Signal, Callable[..., Any]]] = [
            (stakeholder_left, receivers.on_stakeholder_left),
            (activity_drops_detected, receivers.on_activity_drops_detected),
            (renewal_marked_at_risk, receivers.on_renewal_marked_at_risk),
            (health_colours_changed, receivers.on_health_colours_changed),
            (notifications_created, receivers.on_notifications_created),
            (account_created, receivers.on_account_created),
            (account_updated, receivers.on_account_updated),
            (accounts_bulk_written, bulk.on_accounts_bulk_written),
            (activity_drop_resolved, receivers.on_activity_drop_resolved),
            (tasks_created, receivers.on_tasks_created),
            (task_completed, receivers.on_task_completed),
            (renewal_closed, receivers.on_renewal_closed),
            (nps_response_received, receivers.on_nps_response_received),
        ]
        for signal, receiver in connections:
            signal.connect(receiver, dispatch_uid=f"webhooks.{receiver.__name__}")
