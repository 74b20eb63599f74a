"""Reaching the customer: NPS and CSAT surveys sent and answered, tech-touch email programs."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "outreach"
    verbose_name = _("Outreach")

    def ready(self) -> None:
        from core.outbox import email_renderer_register

        from . import receivers
        from .emails import SURVEY_RENDERER, survey_email_headers, survey_email_render

        email_renderer_register(SURVEY_RENDERER, survey_email_render, headers=survey_email_headers)

        from .programs.emails import PROGRAM_RENDERER, program_email_headers, program_email_render

        email_renderer_register(PROGRAM_RENDERER, program_email_render, headers=program_email_headers)
        receivers.connect()

        from accounts.signals import stakeholder_erasing, stakeholder_personal_data

        from .privacy import on_erasing, on_personal_data

        stakeholder_personal_data.connect(on_personal_data, dispatch_uid="outreach.privacy.export")
        stakeholder_erasing.connect(on_erasing, dispatch_uid="outreach.privacy.erase")
