from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DigestsConfig(AppConfig):
    name = "integrations.digests"
    label = "digests"
    verbose_name = _("Digests and calendar feeds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Core asks this app, not the other way round: core imports no app.
        from core.notifications import notification_email_router_register

        from .preferences import email_router

        notification_email_router_register(email_router)
