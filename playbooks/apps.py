from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "playbooks"
    verbose_name = _("Playbooks and tasks")

    def ready(self) -> None:
        from . import departures, receivers

        receivers.connect()
        departures.connect()  # a deactivated person's accounts: the manager's task

        from accounts.signals import stakeholder_erasing, stakeholder_personal_data

        from .privacy import on_erasing, on_personal_data

        stakeholder_personal_data.connect(on_personal_data, dispatch_uid="playbooks.privacy.export")
        stakeholder_erasing.connect(on_erasing, dispatch_uid="playbooks.privacy.erase")
