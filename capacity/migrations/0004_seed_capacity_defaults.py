"""Seed the capacity presets, segment ratios, activity types and the settings row.

The data is inlined on purpose (like health's 0004): a migration must not change when
``capacity.defaults`` changes later.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import migrations

PRESETS = [
    # name, citation, min, max, hard cap, currency, active, sort order
    (
        "US: 1 CSM per $2M ARR",
        'Gainsight\'s "$2M rule": one CSM per US$2M ARR (seed 001, seed 002). Marketo assigns '
        "US$1–8M per CSM (SMB, strong automation); Gainsight itself runs at about US$1M, and "
        "seed 001 suggests matching a CSM from US$1M. Band: US$1–2M.",
        "1000000", "2000000", None, "USD", False, 10,
    ),
    (
        "China: ¥2–5M per CSM",
        "Mature Chinese SaaS companies: a CSM carries ¥2–5M of ARR up for renewal (seed 002); "
        '¥4–5M is "very good" (seed 000).',
        "2000000", "5000000", None, "CNY", True, 20,
    ),
    (
        "China conservative: ¥1.5–2M, hard cap ¥2.5M",
        "¥1.5–2M of contract value per CSM is reasonable; never above ¥2.5M, or service and "
        "expansion suffer (seed 003).",
        "1500000", "2000000", "2500000", "CNY", False, 30,
    ),
]

RATIOS = [
    ("enterprise", 5, 20, None, None,
     "~US$100K accounts: 5–20 per CSM, high touch, know each account's activity and risks (seed 001)."),
    ("mid_market", 50, 100, None, None,
     "~US$20K accounts: proactive management, know each account's usage and business (seed 001). "
     "The seed gives no count: 100 = US$2M ÷ US$20K (the $2M rule); adjust to your data."),
    ("smb", 200, 400, 3, 5,
     "~US$5K accounts: onboarding focus, then automation, plus 3–5 proactive contacts a day over "
     "200 working days = 600–1,000 contacts a year (seed 001). 400 = US$2M ÷ US$5K."),
    ("tech_touch", None, None, None, None,
     "≤ US$1K accounts: automation; people only for at-risk accounts (seed 001). No ratio."),
]

ACTIVITY_TYPES = [
    ("handover", "Handover"),
    ("first_contact", "First contact"),
    ("visit", "Visit"),
    ("liaison", "Bug / requirement liaison"),
    ("data_analysis", "Data analysis"),
    ("training", "Training"),
    ("reporting", "Reporting"),
    ("internal", "Internal"),
    ("other", "Other"),
]


def seed(apps, schema_editor):
    CapacityPreset = apps.get_model("capacity", "CapacityPreset")
    SegmentRatio = apps.get_model("capacity", "SegmentRatio")
    ActivityType = apps.get_model("capacity", "ActivityType")
    CapacitySettings = apps.get_model("capacity", "CapacitySettings")
    # The preset of the deployment's own currency starts active; the admin may switch.
    wanted = "USD" if settings.HOURGLASS_CURRENCY == "USD" else "CNY"
    for name, citation, low, high, cap, currency, active, order in PRESETS:
        active = currency == wanted and (active or wanted == "USD")
        CapacityPreset.objects.get_or_create(
            name=name,
            defaults={
                "citation": citation,
                "arr_per_csm_min": Decimal(low),
                "arr_per_csm_max": Decimal(high),
                "hard_cap": Decimal(cap) if cap else None,
                "currency": currency,
                "is_active": active,
                "kind": "builtin",
                "sort_order": order,
            },
        )
    for segment, low, high, contacts_low, contacts_high, notes in RATIOS:
        SegmentRatio.objects.get_or_create(
            segment=segment,
            defaults={
                "accounts_per_csm_min": low,
                "accounts_per_csm_max": high,
                "contacts_per_day_min": contacts_low,
                "contacts_per_day_max": contacts_high,
                "notes": notes,
            },
        )
    for order, (code, name) in enumerate(ACTIVITY_TYPES, start=1):
        ActivityType.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order * 10})
    CapacitySettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("capacity", "0003_capacity_presets_ratios_time")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
