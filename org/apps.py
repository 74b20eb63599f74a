from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "org"
    verbose_name = _("People")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
        from .two_factor import checks  # noqa: F401 - registers the system check
