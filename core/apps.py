from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self) -> None:
        from .lookups import register

        register()  # ``field__any_of=[…]`` (see core/lookups.py)

        from simple_history.signals import pre_create_historical_record

        from .audit_source import on_pre_create_historical_record

        # Every history row records where the change came from (core/audit_source.py).
        pre_create_historical_record.connect(on_pre_create_historical_record, dispatch_uid="core.audit_source")
