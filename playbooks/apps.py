from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "playbooks"
    verbose_name = _("Playbooks and tasks")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
