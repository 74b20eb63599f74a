"""Writes of the settings area whose values live in other apps' tables.

The operations settings row (bands, currency, reminders, activity drop) is written by
``org.operations_settings.operations_settings_update``; contact cadence (accounts) and
the capacity preset, ratios and costs (capacity) are written here, each save atomic and
logged value by value in the same change log (``org.SettingsChange``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.cadence import cadence_rules
from accounts.models import ContactCadence, Tier
from accounts.segments import Segment
from capacity.models import CapacityPreset, CapacitySettings, SegmentRatio
from capacity.services import capacity_defaults_ensure, preset_activate
from capacity.team_cache import team_figures_invalidate
from core.types import AnyUser
from org.models import SettingsChange, SettingsSection
from org.operations_settings import operations_settings_update, require_settings_admin, settings_changes_record

RATIO_FIELDS = ("accounts_per_csm_min", "accounts_per_csm_max", "contacts_per_day_min", "contacts_per_day_max")
COST_FIELDS = ("csm_annual_cost", "service_cost_share", "budget_per_account")
MAX_CADENCE_DAYS = 3650


def _after_save() -> None:
    # Segments, currency and limits feed the team page's cached figures.
    team_figures_invalidate()
    transaction.on_commit(team_figures_invalidate)


def operations_section_save(*, actor: AnyUser, section: str, values: dict[str, Any]) -> list[SettingsChange]:
    logged = operations_settings_update(actor=actor, section=section, values=values)
    if logged:
        _after_save()
    return logged


def cadence_key(tier: str, segment: str) -> str:
    return f"cadence.{tier}.{segment or 'default'}"


@transaction.atomic
def contact_cadence_save(*, actor: AnyUser, rules: dict[tuple[str, str], int | None]) -> list[SettingsChange]:
    """Set the cadence rules: ``{(tier, segment or ""): days}``; ``None`` for a segment
    removes its override (the tier default applies), a tier default is required."""
    require_settings_admin(actor)
    errors: dict[str, str] = {}
    for (tier, segment), days in rules.items():
        key = cadence_key(tier, segment)
        if tier not in Tier.values or (segment and segment not in Segment.values):
            errors[key] = _("Unknown tier or segment.")
        elif days is None and not segment:
            errors[key] = _("Each tier needs a default cadence (0 for no regular contact).")
        elif days is not None and not 0 <= days <= MAX_CADENCE_DAYS:
            errors[key] = _("Enter a number of days from 0 to %(max)d.") % {"max": MAX_CADENCE_DAYS}
    if errors:
        raise ValidationError(errors)
    existing = {(row.tier, row.segment): row for row in ContactCadence.objects.select_for_update().order_by("pk")}
    in_force = cadence_rules()  # a tier default without a row reads HOURGLASS_CONTACT_CADENCE_DAYS
    changes = []
    for (tier, segment), days in rules.items():
        row = existing.get((tier, segment))
        old = row.days if row is not None else (None if segment else in_force.get((tier, "")))
        if days == (row.days if row is not None else None):
            continue
        if days != old:
            changes.append((cadence_key(tier, segment), old, days))
        if days is None:
            ContactCadence.objects.filter(pk=row.pk).delete()  # type: ignore[union-attr]
        elif row is None:
            ContactCadence.objects.create(tier=tier, segment=segment, days=days)
        else:
            row.days = days
            row.save(update_fields=["days", "updated_at"])
    logged = settings_changes_record(section=SettingsSection.CADENCE, actor=actor, changes=changes)
    if logged:
        _after_save()
    return logged


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


@transaction.atomic
def capacity_section_save(
    *,
    actor: AnyUser,
    preset: CapacityPreset,
    ratios: dict[str, dict[str, int | None]],
    costs: dict[str, Decimal | None],
) -> list[SettingsChange]:
    """The active preset, the accounts-per-CSM ratios per segment and the CSM costs."""
    require_settings_admin(actor)
    row = capacity_defaults_ensure()
    row = CapacitySettings.objects.select_for_update().get(pk=row.pk)
    errors: dict[str, Any] = {}
    changes: list[tuple[str, Any, Any]] = []

    current = CapacityPreset.objects.filter(is_active=True).first()
    if current is None or current.pk != preset.pk:
        changes.append(("preset", current.name if current else None, preset.name))

    stored = {ratio.segment: ratio for ratio in SegmentRatio.objects.select_for_update().order_by("pk")}
    dirty_ratios = []
    for segment, values in ratios.items():
        ratio = stored.get(segment) or SegmentRatio(segment=segment)
        before = {field: getattr(ratio, field) for field in RATIO_FIELDS}
        for field in RATIO_FIELDS:
            setattr(ratio, field, values.get(field))
        try:
            ratio.full_clean(exclude=["notes"], validate_unique=False)
        except ValidationError as error:
            errors.update({f"ratio.{segment}.{field}": messages for field, messages in error.message_dict.items()})
            continue
        moved = [(f"ratio.{segment}.{field}", before[field], getattr(ratio, field)) for field in RATIO_FIELDS]
        moved = [change for change in moved if change[1] != change[2]]
        if moved:
            changes += moved
            dirty_ratios.append(ratio)

    before_costs = {field: getattr(row, field) for field in COST_FIELDS}
    for field in COST_FIELDS:
        setattr(row, field, _money(costs.get(field)))
    try:
        row.full_clean()
    except ValidationError as error:
        errors.update({f"costs.{field}": messages for field, messages in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    changes += [
        (f"costs.{field}", before_costs[field], getattr(row, field))
        for field in COST_FIELDS
        if _money(before_costs[field]) != getattr(row, field)
    ]

    if current is None or current.pk != preset.pk:
        preset_activate(preset=preset, actor=actor)
    for ratio in dirty_ratios:
        ratio.save()
    if any(key.startswith("costs.") for key, _old, _new in changes):
        row.save()
    logged = settings_changes_record(section=SettingsSection.CAPACITY, actor=actor, changes=changes)
    if logged:
        _after_save()
    return logged
