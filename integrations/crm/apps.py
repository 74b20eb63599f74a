from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmSyncConfig(AppConfig):
    name = "integrations.crm"
    label = "crm_sync"
    verbose_name = _("CRM sync")
    default_auto_field = "django.db.models.BigAutoField"
