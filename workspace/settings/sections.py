"""The sections of the settings area: their form, current values, save and labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.cadence import cadence_days_for, cadence_rules
from accounts.models import Tier
from accounts.segments import Segment
from capacity.models import CapacityPreset, CapacitySettings, SegmentRatio
from core.types import AnyUser
from org.models import SettingsChange, SettingsSection
from org.operations_settings import operations_settings

from . import forms as settings_forms
from .services import capacity_section_save, contact_cadence_save, operations_section_save


@dataclass(frozen=True)
class Section:
    key: str  # SettingsSection value: the change log's section
    slug: str  # in the URL
    title: str | Promise
    description: str | Promise
    form_class: type[settings_forms.SettingsForm]
    initial: Callable[[], dict[str, Any]]
    save: Callable[[AnyUser, Any], list[SettingsChange]]


def _bands_initial() -> dict[str, Any]:
    bands = operations_settings().segment_bands
    return {settings_forms.band_field(segment): bands.get(segment) for segment in settings_forms.SEGMENT_ORDER}


def _cadence_initial() -> dict[str, Any]:
    rules = cadence_rules()
    initial: dict[str, Any] = {}
    for tier in Tier.values:
        initial[settings_forms.cadence_field(tier, "")] = cadence_days_for(tier=tier, segment="", rules=rules)
        for segment in settings_forms.SEGMENT_ORDER:
            initial[settings_forms.cadence_field(tier, segment)] = rules.get((tier, segment))
    return initial


def _capacity_initial() -> dict[str, Any]:
    row = CapacitySettings.objects.filter(pk=1).first() or CapacitySettings(pk=1)
    initial: dict[str, Any] = {
        "preset": CapacityPreset.objects.filter(is_active=True).values_list("pk", flat=True).first(),
        "csm_annual_cost": row.csm_annual_cost,
        "service_cost_share": row.service_cost_share,
        "budget_per_account": row.budget_per_account,
    }
    for ratio in SegmentRatio.objects.all():
        for name in settings_forms.RATIO_LABELS:
            initial[settings_forms.ratio_field(ratio.segment, name)] = getattr(ratio, name)
    return initial


def _values_initial(*fields: str) -> Callable[[], dict[str, Any]]:
    def initial() -> dict[str, Any]:
        values = operations_settings()
        found = {field: getattr(values, field) for field in fields}
        if "renewal_reminder_days" in found:
            found["renewal_reminder_days"] = ", ".join(str(days) for days in found["renewal_reminder_days"])
        return found

    return initial


def _save_fields(section: str) -> Callable[[AnyUser, Any], list[SettingsChange]]:
    def save(actor: AnyUser, form: Any) -> list[SettingsChange]:
        return operations_section_save(actor=actor, section=section, values=dict(form.cleaned_data))

    return save


SECTIONS: list[Section] = [
    Section(
        SettingsSection.SEGMENTS,
        "segments",
        gettext_lazy("Segment bands"),
        gettext_lazy(
            "Segments are derived from ARR: an account belongs to the highest segment whose lower bound its "
            "ARR reaches. A change re-segments every account at once."
        ),
        settings_forms.SegmentBandsForm,
        _bands_initial,
        lambda actor, form: operations_section_save(
            actor=actor, section=SettingsSection.SEGMENTS, values={"segment_bands": form.bands()}
        ),
    ),
    Section(
        SettingsSection.CADENCE,
        "cadence",
        gettext_lazy("Contact cadence"),
        gettext_lazy(
            "How often each stakeholder tier is contacted, in days (0: no regular contact). A segment's "
            "value overrides the tier default for accounts of that segment; leave it empty to use the default."
        ),
        settings_forms.CadenceForm,
        _cadence_initial,
        lambda actor, form: contact_cadence_save(actor=actor, rules=form.rules()),
    ),
    Section(
        SettingsSection.CAPACITY,
        "capacity",
        gettext_lazy("Capacity and CSM costs"),
        gettext_lazy(
            "The ARR-per-CSM preset the team is measured against, how many accounts a CSM carries per "
            "segment, and the costs that set the floor of a book."
        ),
        settings_forms.CapacitySectionForm,
        _capacity_initial,
        lambda actor, form: capacity_section_save(
            actor=actor, preset=form.cleaned_data["preset"], ratios=form.ratios(), costs=form.costs()
        ),
    ),
    Section(
        SettingsSection.CURRENCY,
        "currency",
        gettext_lazy("Currency"),
        gettext_lazy("The currency of every amount (ARR, contract values, thresholds) shown in the app."),
        settings_forms.CurrencyForm,
        _values_initial("currency"),
        _save_fields(SettingsSection.CURRENCY),
    ),
    Section(
        SettingsSection.REMINDERS,
        "reminders",
        gettext_lazy("Renewal reminders"),
        gettext_lazy(
            "When the account owner is reminded of a renewal: each threshold once, the most urgent one "
            "reached (a renewal found late gets one reminder, not several)."
        ),
        settings_forms.RemindersForm,
        _values_initial("renewal_reminder_days", "renewal_reminder_overdue_days"),
        _save_fields(SettingsSection.REMINDERS),
    ),
    Section(
        SettingsSection.ACTIVITY_DROP,
        "activity-drop",
        gettext_lazy("Activity-drop alerts"),
        gettext_lazy(
            "The owner is alerted when an account's activity drops suddenly: the last 7 days against the "
            "average of the four weeks before, sustained for two days."
        ),
        settings_forms.ActivityDropForm,
        _values_initial("activity_drop_share", "activity_drop_min_baseline", "activity_drop_cooldown_days"),
        _save_fields(SettingsSection.ACTIVITY_DROP),
    ),
]
SECTIONS_BY_SLUG = {section.slug: section for section in SECTIONS}


# --- Change history labels ------------------------------------------------------------


def change_label(key: str) -> str:
    """A change log key in the reader's language, e.g. "Tier S · SMB (onboarding focus)"."""
    parts = key.split(".")
    segments = dict(Segment.choices)
    if parts[0] == "segment_bands" and len(parts) == 2:
        return _("%(segment)s: lower ARR bound") % {"segment": segments.get(parts[1], parts[1])}
    if parts[0] == "cadence" and len(parts) == 3:
        where = _("Default") if parts[2] == "default" else segments.get(parts[2], parts[2])
        return _("Tier %(tier)s · %(where)s") % {"tier": parts[1], "where": where}
    if parts[0] == "ratio" and len(parts) == 3:
        label = settings_forms.RATIO_LABELS.get(parts[2], parts[2])
        return f"{segments.get(parts[1], parts[1])} · {label}"
    if parts[0] == "preset":
        return _("Capacity preset")
    fields: dict[str, Any] = {}
    for form_class in (
        settings_forms.CapacitySectionForm,
        settings_forms.CurrencyForm,
        settings_forms.RemindersForm,
        settings_forms.ActivityDropForm,
    ):
        fields |= form_class.base_fields
    name = parts[-1]
    return str(fields[name].label) if name in fields else key


def change_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, str):
        try:
            amount = Decimal(value)
        except ArithmeticError:
            return value
        return f"{amount.normalize():,f}" if amount == amount.to_integral() else value
    return str(value)
