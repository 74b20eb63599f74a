"""Seed the default churn reasons (admins edit the list afterwards).

The labels are stored in English and shown through gettext (``ChurnReason.__str__``),
so the built-in ones read in Chinese for zh-hans users once translated; the list is
copied here rather than imported so this migration never changes with the code.
"""

from django.db import migrations
from django.utils.translation import gettext_noop

REASONS = [
    ("low_usage", gettext_noop("Low usage / never adopted")),
    ("price", gettext_noop("Price or budget")),
    ("competitor", gettext_noop("Moved to a competitor")),
    ("missing_features", gettext_noop("Missing features")),
    ("champion_left", gettext_noop("Champion or decision maker left")),
    ("business_closed", gettext_noop("Company closed, acquired or restructured")),
    ("poor_fit", gettext_noop("Not a fit for the product (exploratory customer)")),
    ("service", gettext_noop("Unhappy with support or service")),
    ("other", gettext_noop("Other")),
]


def seed(apps, schema_editor):
    ChurnReason = apps.get_model("renewals", "ChurnReason")
    for order, (code, label) in enumerate(REASONS, start=1):
        ChurnReason.objects.get_or_create(code=code, defaults={"label": label, "sort_order": order * 10})


def unseed(apps, schema_editor):
    ChurnReason = apps.get_model("renewals", "ChurnReason")
    ChurnReason.objects.filter(code__in=[code for code, _ in REASONS], renewals__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("renewals", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
