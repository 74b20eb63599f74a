"""Seed the default health model (segment "", used by every segment without its own).

The measures are inlined on purpose, like the partition helpers of 0002: a migration
must not change when ``health.defaults`` changes later.
"""

from __future__ import annotations

from django.db import migrations

MEASURES = [
    # key, group, weight, green_at, red_at, direction
    ("activity_rate_7d", "CO", 20, 0.5, 0.2, "higher"),
    ("activity_rate_30d", "CO", 15, 0.5, 0.2, "higher"),
    ("depth", "CO", 15, 0.8, 0.3, "higher"),
    ("executive_usage", "CS", 15, 0.8, 0.2, "higher"),
    ("contact_recency", "CS", 10, 14, 60, "lower"),
    ("nps", "CX", 15, 50, 0, "higher"),
    ("open_risks", "CX", 10, 0, 3, "lower"),
]


def seed(apps, schema_editor):
    HealthModel = apps.get_model("health", "HealthModel")
    HealthMeasure = apps.get_model("health", "HealthMeasure")
    model, created = HealthModel.objects.get_or_create(segment="", defaults={"name": "Default health model"})
    if created:
        HealthMeasure.objects.bulk_create(
            [
                HealthMeasure(model=model, key=key, group=group, weight=weight, green_at=green, red_at=red, direction=d)
                for key, group, weight, green, red, d in MEASURES
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("health", "0003_alerts_nps_scores")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
