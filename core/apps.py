from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("System")

    def ready(self) -> None:
        from .lookups import register

        register()  # ``field__any_of=[…]`` (see core/lookups.py)

        from simple_history.signals import pre_create_historical_record

        from .audit_source import on_pre_create_historical_record

        # Every history row records where the change came from (core/audit_source.py).
        pre_create_historical_record.connect(on_pre_create_historical_record, dispatch_uid="core.audit_source")

        # Third-party apps the admin lists under their label ("Axes", "Otp_Totp"): give
        # them names in the reader's language.
        from django.apps import apps

        for label, name in THIRD_PARTY_APP_NAMES.items():
            if label in apps.app_configs:
                apps.app_configs[label].verbose_name = name


THIRD_PARTY_APP_NAMES = {
    "axes": _("Login lockouts"),
    "otp_totp": _("Authenticator apps"),
    "otp_static": _("Backup codes"),
}
