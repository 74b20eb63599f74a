from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DigestsConfig(AppConfig):
    name = "integrations.digests"
    label = "digests"
    verbose_name = _("Digests and calendar feeds")
    default_auto_field = "django.db.models.BigAutoField"
