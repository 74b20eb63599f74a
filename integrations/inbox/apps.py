from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "integrations.inbox"
    label = "inbox"
    verbose_name = _("Inbound email")
    default_auto_field = "django.db.models.BigAutoField"
