from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "renewals"
    verbose_name = _("Renewals and contracts")

    def ready(self) -> None:
        from core.outbox import email_renderer_register

        from .reminder_emails import reminder_email_render
        from .reminders import REMINDER_RENDERER

        email_renderer_register(REMINDER_RENDERER, reminder_email_render)

        from accounts.signals import stakeholder_erasing, stakeholder_personal_data

        from .privacy import on_erasing, on_personal_data

        stakeholder_personal_data.connect(on_personal_data, dispatch_uid="renewals.privacy.export")
        stakeholder_erasing.connect(on_erasing, dispatch_uid="renewals.privacy.erase")

        # The ARR ledger's tasks live beside it (renewals.ledger), not in tasks.py.
        from django.db.models.signals import pre_delete

        from accounts.models import Account

        from . import ledger

        pre_delete.connect(ledger.on_account_deleting, sender=Account, dispatch_uid="renewals.ledger.account_deleting")

        from .kpi_facts import receivers

        receivers.connect()
