from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "org"
    verbose_name = _("People")

    def ready(self) -> None:
        from core.formatting import currency_source_register
        from core.outbox import email_renderer_register

        from . import sessions, signals  # noqa: F401 - connects the receivers
        from .invitations import INVITATION_RENDERER, invitation_email_render
        from .operations_settings import deployment_currency
        from .two_factor import checks  # noqa: F401 - registers the system check

        email_renderer_register(INVITATION_RENDERER, invitation_email_render)
        currency_source_register(deployment_currency)
