from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "renewals"

    def ready(self) -> None:
        from core.outbox import email_renderer_register

        from .reminder_emails import reminder_email_render
        from .reminders import REMINDER_RENDERER

        email_renderer_register(REMINDER_RENDERER, reminder_email_render)
