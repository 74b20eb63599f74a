from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "integrations.inbox"
    label = "inbox"
    verbose_name = _("Inbound email")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import stakeholder_erasing, stakeholder_personal_data

        from .privacy import on_erasing, on_personal_data

        stakeholder_personal_data.connect(on_personal_data, dispatch_uid="inbox.privacy.export")
        stakeholder_erasing.connect(on_erasing, dispatch_uid="inbox.privacy.erase")
