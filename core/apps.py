from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self) -> None:
        from .lookups import register

        register()  # ``field__any_of=[…]`` (see core/lookups.py)
