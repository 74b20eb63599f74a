"""The built-in presets' sources and segment notes say what the figure is, in words.

Rows still holding the original built-in text get the new one (which the pages show in
the reader's language); texts an admin has edited are left alone.
"""

from django.db import migrations

CITATIONS = [
    (
        'Gainsight\'s "$2M rule": one CSM per US$2M ARR (seed 001, seed 002). Marketo assigns '
        "US$1–8M per CSM (SMB, strong automation); Gainsight itself runs at about US$1M, and "
        "seed 001 suggests matching a CSM from US$1M. Band: US$1–2M.",
        'Gainsight\'s "$2M rule": one CSM per US$2M of ARR. Marketo assigns US$1–8M per CSM '
        "(small customers, strong automation); Gainsight itself runs at about US$1M, and a CSM "
        "starts to pay for themselves from about US$1M. Band: US$1–2M.",
    ),
    (
        "Mature Chinese SaaS companies: a CSM carries ¥2–5M of ARR up for renewal (seed 002); "
        '¥4–5M is "very good" (seed 000).',
        'Mature Chinese SaaS companies: a CSM carries ¥2–5M of ARR up for renewal; ¥4–5M is "very good".',
    ),
    (
        "¥1.5–2M of contract value per CSM is reasonable; never above ¥2.5M, or service and "
        "expansion suffer (seed 003).",
        "¥1.5–2M of contract value per CSM is reasonable; never above ¥2.5M, or service and expansion suffer.",
    ),
]
NOTES = [
    (
        "~US$100K accounts: 5–20 per CSM, high touch, know each account's activity and risks (seed 001).",
        "~US$100K accounts: 5–20 per CSM, high touch, know each account's activity and risks.",
    ),
    (
        "~US$20K accounts: proactive management, know each account's usage and business (seed 001). "
        "The seed gives no count: 100 = US$2M ÷ US$20K (the $2M rule); adjust to your data.",
        "~US$20K accounts: proactive management, know each account's usage and business. "
        "100 = US$2M ÷ US$20K (the $2M rule); adjust to your own data.",
    ),
    (
        "~US$5K accounts: onboarding focus, then automation, plus 3–5 proactive contacts a day over "
        "200 working days = 600–1,000 contacts a year (seed 001). 400 = US$2M ÷ US$5K.",
        "~US$5K accounts: onboarding focus, then automation, plus 3–5 proactive contacts a day over "
        "200 working days = 600–1,000 contacts a year. 400 = US$2M ÷ US$5K.",
    ),
    (
        "≤ US$1K accounts: automation; people only for at-risk accounts (seed 001). No ratio.",
        "≤ US$1K accounts: automation; people only for at-risk accounts. No ratio.",
    ),
]


def _swap(apps, *, forward: bool) -> None:
    CapacityPreset = apps.get_model("capacity", "CapacityPreset")
    SegmentRatio = apps.get_model("capacity", "SegmentRatio")
    for old, new in CITATIONS:
        before, after = (old, new) if forward else (new, old)
        CapacityPreset.objects.filter(citation=before).update(citation=after)
    for old, new in NOTES:
        before, after = (old, new) if forward else (new, old)
        SegmentRatio.objects.filter(notes=before).update(notes=after)


def forwards(apps, schema_editor):
    _swap(apps, forward=True)


def backwards(apps, schema_editor):
    _swap(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [("capacity", "0005_people_moved_to_org")]

    operations = [migrations.RunPython(forwards, backwards)]
