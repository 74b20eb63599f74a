from django.apps import AppConfig


class HealthConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "health"

    def ready(self) -> None:
        from accounts.signals import stakeholder_erasing, stakeholder_personal_data

        from .privacy import on_erasing, on_personal_data

        stakeholder_personal_data.connect(on_personal_data, dispatch_uid="health.privacy.export")
        stakeholder_erasing.connect(on_erasing, dispatch_uid="health.privacy.erase")
