"""The built-in capacity defaults (domain.md §6): presets, segment ratios, activity types.

Seeded by migration 0004 (which inlines its own copy, so that it never changes) and
re-created by ``capacity.services.capacity_defaults_ensure`` if the settings row is
ever missing (e.g. after a test flushed the tables).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext_noop


class PresetDefault(NamedTuple):
    name: str
    citation: str
    arr_min: Decimal
    arr_max: Decimal
    hard_cap: Decimal | None
    currency: str
    is_active: bool
    sort_order: int


PRESETS: list[PresetDefault] = [
    PresetDefault(
        gettext_noop("US: 1 CSM per $2M ARR"),
        gettext_noop(
            'Gainsight\'s "$2M rule": one CSM per US$2M of ARR. Marketo assigns US$1–8M per CSM '
            "(small customers, strong automation); Gainsight itself runs at about US$1M, and a CSM "
            "starts to pay for themselves from about US$1M. Band: US$1–2M."
        ),
        Decimal("1000000"),
        Decimal("2000000"),
        None,
        "USD",
        False,
        10,
    ),
    PresetDefault(
        gettext_noop("China: ¥2–5M per CSM"),
        gettext_noop('Mature Chinese SaaS companies: a CSM carries ¥2–5M of ARR up for renewal; ¥4–5M is "very good".'),
        Decimal("2000000"),
        Decimal("5000000"),
        None,
        "CNY",
        True,
        20,
    ),
    PresetDefault(
        gettext_noop("China conservative: ¥1.5–2M, hard cap ¥2.5M"),
        gettext_noop(
            "¥1.5–2M of contract value per CSM is reasonable; never above ¥2.5M, or service and expansion suffer."
        ),
        Decimal("1500000"),
        Decimal("2000000"),
        Decimal("2500000"),
        "CNY",
        False,
        30,
    ),
]


class RatioDefault(NamedTuple):
    segment: str
    accounts_min: int | None
    accounts_max: int | None
    contacts_min: int | None
    contacts_max: int | None
    notes: str


RATIOS: list[RatioDefault] = [
    RatioDefault(
        "enterprise",
        5,
        20,
        None,
        None,
        gettext_noop("~US$100K accounts: 5–20 per CSM, high touch, know each account's activity and risks."),
    ),
    RatioDefault(
        "mid_market",
        50,
        100,
        None,
        None,
        gettext_noop(
            "~US$20K accounts: proactive management, know each account's usage and business. "
            "100 = US$2M ÷ US$20K (the $2M rule); adjust to your own data."
        ),
    ),
    RatioDefault(
        "smb",
        200,
        400,
        3,
        5,
        gettext_noop(
            "~US$5K accounts: onboarding focus, then automation, plus 3–5 proactive contacts a day over "
            "200 working days = 600–1,000 contacts a year. 400 = US$2M ÷ US$5K."
        ),
    ),
    RatioDefault(
        "tech_touch",
        None,
        None,
        None,
        None,
        gettext_noop("≤ US$1K accounts: automation; people only for at-risk accounts. No ratio."),
    ),
]

# The activity types time is logged against.
ACTIVITY_TYPES: list[tuple[str, str]] = [
    ("handover", gettext_noop("Handover")),
    ("first_contact", gettext_noop("First contact")),
    ("visit", gettext_noop("Visit")),
    ("liaison", gettext_noop("Bug / requirement liaison")),
    ("data_analysis", gettext_noop("Data analysis")),
    ("training", gettext_noop("Training")),
    ("reporting", gettext_noop("Reporting")),
    ("internal", gettext_noop("Internal")),
    ("other", gettext_noop("Other")),
]
BUILTIN_ACTIVITY_NAMES = dict(ACTIVITY_TYPES)


# Built-in texts are shown in the reader's language; texts an admin wrote, as written.
BUILTIN_TEXTS: frozenset[str] = frozenset(
    [preset.name for preset in PRESETS] + [preset.citation for preset in PRESETS] + [ratio.notes for ratio in RATIOS]
)
