"""Seed the tier defaults from the former setting (S 30 / A 30 / B 60 days)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations

DEFAULTS = {"S": 30, "A": 30, "B": 60}


def seed(apps: Any, schema_editor: Any) -> None:
    cadence = apps.get_model("accounts", "ContactCadence")
    configured = getattr(settings, "HOURGLASS_CONTACT_CADENCE_DAYS", None) or DEFAULTS
    for tier, days in {**DEFAULTS, **configured}.items():
        cadence.objects.get_or_create(tier=tier, segment="", defaults={"days": int(days)})


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("accounts", "ContactCadence").objects.filter(segment="").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_contact_cadence_import_progress")]

    operations = [migrations.RunPython(seed, unseed)]
