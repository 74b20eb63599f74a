"""Writes for capacity: presets, the settings row and time entries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.models import Account
from accounts.selectors import account_scope
from org.models import Role

from . import defaults
from .models import ActivityType, CapacityPreset, CapacitySettings, PresetKind, SegmentRatio, TimeEntry

# Time may be logged a little ahead (a planned visit) but not for next month.
MAX_DAYS_AHEAD = 7


@transaction.atomic
def capacity_defaults_ensure() -> CapacitySettings:
    """The settings row, re-creating the seed defaults if it is missing (idempotent).

    Migration 0004 seeds them; this covers a database whose tables were emptied since.
    """
    row, created = CapacitySettings.objects.get_or_create(pk=1)
    if not created:
        return row
    wanted = "USD" if settings.HOURGLASS_CURRENCY == "USD" else "CNY"
    has_active = CapacityPreset.objects.filter(is_active=True).exists()
    for preset in defaults.PRESETS:
        active = not has_active and preset.currency == wanted and (preset.is_active or wanted == "USD")
        CapacityPreset.objects.get_or_create(
            name=preset.name,
            defaults={
                "citation": preset.citation,
                "arr_per_csm_min": preset.arr_min,
                "arr_per_csm_max": preset.arr_max,
                "hard_cap": preset.hard_cap,
                "currency": preset.currency,
                "is_active": active,
                "kind": PresetKind.BUILTIN,
                "sort_order": preset.sort_order,
            },
        )
    for ratio in defaults.RATIOS:
        SegmentRatio.objects.get_or_create(
            segment=ratio.segment,
            defaults={
                "accounts_per_csm_min": ratio.accounts_min,
                "accounts_per_csm_max": ratio.accounts_max,
                "contacts_per_day_min": ratio.contacts_min,
                "contacts_per_day_max": ratio.contacts_max,
                "notes": ratio.notes,
            },
        )
    for order, (code, name) in enumerate(defaults.ACTIVITY_TYPES, start=1):
        ActivityType.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order * 10})
    return row


@transaction.atomic
def preset_activate(*, preset: CapacityPreset, actor: AnyUser) -> CapacityPreset:
    """Make ``preset`` the one the team is measured against (admins only)."""
    from org.roles import role_of

    if role_of(actor) != Role.ADMIN:
        raise PermissionDenied("only admins choose the capacity preset")
    # Lock the presets in pk order, then clear before set: the partial unique index
    # allows one active row at any moment.
    list(CapacityPreset.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    CapacityPreset.objects.filter(is_active=True).exclude(pk=preset.pk).update(is_active=False)
    CapacityPreset.objects.filter(pk=preset.pk).update(is_active=True)
    preset.is_active = True
    return preset


def _validate_time_entry(
    *, user: AnyUser, account: Account | None, activity_type: ActivityType, day: date, minutes: int, today: date
) -> None:
    errors: dict[str, str] = {}
    if minutes is None or minutes < 1:
        errors["minutes"] = _("Log at least one minute.")
    elif minutes > 24 * 60:
        errors["minutes"] = _("A day has 24 hours.")
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        errors["date"] = _("Time can be logged at most %(days)d days ahead.") % {"days": MAX_DAYS_AHEAD}
    if not activity_type.is_active:
        errors["activity_type"] = _("This activity type is no longer in use.")
    if account is not None and not account_scope(user=user).filter(pk=account.pk).exists():
        errors["account"] = _("Choose one of your accounts.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def time_entry_create(
    *,
    user: AnyUser,
    activity_type: ActivityType,
    date: date,
    minutes: int,
    account: Account | None = None,
    note: str = "",
    today: date | None = None,
) -> TimeEntry:
    """Log time for ``user`` (always the acting person: nobody logs time for others)."""
    _validate_time_entry(
        user=user,
        account=account,
        activity_type=activity_type,
        day=date,
        minutes=minutes,
        today=today or timezone.localdate(),
    )
    entry = TimeEntry(
        user=user,  # type: ignore[misc]
        account=account,
        activity_type=activity_type,
        date=date,
        minutes=minutes,
        note=note,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def time_entry_update(*, entry: TimeEntry, user: AnyUser, today: date | None = None, **changes: Any) -> TimeEntry:
    """Change one's own entry (callers fetch it through ``get_own_time_entry``)."""
    if entry.user_id != user.pk:
        raise PermissionDenied("only the person who logged time edits it")
    for field in ("activity_type", "date", "minutes", "account", "note"):
        if field in changes:
            setattr(entry, field, changes[field])
    _validate_time_entry(
        user=user,
        account=entry.account,
        activity_type=entry.activity_type,
        day=entry.date,
        minutes=entry.minutes,
        today=today or timezone.localdate(),
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry, user: AnyUser) -> None:
    if entry.user_id != user.pk:
        raise PermissionDenied("only the person who logged time deletes it")
    entry.delete()
