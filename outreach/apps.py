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
        receivers.connect()
