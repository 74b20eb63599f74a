"""The forms of the settings area, one per section; a manager gets them disabled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from accounts.segments import Segment
from capacity.models import CapacityPreset

# Highest segment first, as the bands read from the top.
SEGMENT_ORDER = [Segment.ENTERPRISE, Segment.MID_MARKET, Segment.SMB, Segment.TECH_TOUCH]


class SettingsForm(forms.Form):
    """Bootstrap classes on every widget; ``read_only`` disables every field."""

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_only = read_only
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
            field.disabled = self.read_only

    def add_service_errors(self, errors: dict[str, list[str]], field_of: dict[str, str]) -> None:
        """Put a service's errors (keyed by setting) on the fields that hold them."""
        for key, messages in errors.items():
            name = field_of.get(key, key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


def band_field(segment: str) -> str:
    return f"band_{segment}"


class SegmentBandsForm(SettingsForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for segment in SEGMENT_ORDER:
            field = forms.DecimalField(
                label=Segment(segment).label,
                min_value=Decimal(0),
                max_digits=16,
                decimal_places=2,
                required=segment == SEGMENT_ORDER[-1],
                help_text=_("Lower ARR bound (inclusive); leave empty to leave the segment out."),
            )
            field.widget.attrs["class"] = "form-control form-control-sm"
            field.disabled = self.read_only
            self.fields[band_field(segment)] = field
        self.order_fields([band_field(segment) for segment in SEGMENT_ORDER])

    def bands(self) -> list[tuple[str, Decimal]]:
        """``(segment, bound)`` from the lowest segment up, the service's order."""
        return [
            (segment, self.cleaned_data[band_field(segment)])
            for segment in reversed(SEGMENT_ORDER)
            if self.cleaned_data.get(band_field(segment)) is not None
        ]

    def error_fields(self) -> dict[str, str]:
        return {f"segment_bands.{segment}": band_field(segment) for segment in SEGMENT_ORDER}


def cadence_field(tier: str, segment: str) -> str:
    return f"cadence_{tier}_{segment or 'default'}"


class CadenceForm(SettingsForm):
    """A grid: per tier, the default and an optional override per segment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier in Tier.values:
            for segment in ["", *SEGMENT_ORDER]:
                field = forms.IntegerField(
                    label=Segment(segment).label if segment else _("Default"),
                    min_value=0,
                    max_value=3650,
                    required=not segment,
                )
                field.widget.attrs.update({"class": "form-control form-control-sm", "placeholder": "—"})
                field.disabled = self.read_only
                self.fields[cadence_field(tier, segment)] = field

    def rows(self) -> list[dict[str, Any]]:
        """The grid for the template: one row per tier, its default and segment cells."""
        return [
            {
                "tier": tier,
                "label": Tier(tier).label,
                "cells": [self[cadence_field(tier, segment)] for segment in ["", *SEGMENT_ORDER]],
            }
            for tier in Tier.values
        ]

    def rules(self) -> dict[tuple[str, str], int | None]:
        return {
            (tier, segment): self.cleaned_data.get(cadence_field(tier, segment))
            for tier in Tier.values
            for segment in ["", *SEGMENT_ORDER]
        }

    def error_fields(self) -> dict[str, str]:
        return {
            f"cadence.{tier}.{segment or 'default'}": cadence_field(tier, segment)
            for tier in Tier.values
            for segment in ["", *SEGMENT_ORDER]
        }


RATIO_LABELS = {
    "accounts_per_csm_min": _("Accounts per CSM from"),
    "accounts_per_csm_max": _("Accounts per CSM to"),
    "contacts_per_day_min": _("Proactive contacts a day from"),
    "contacts_per_day_max": _("Proactive contacts a day to"),
}


def ratio_field(segment: str, name: str) -> str:
    return f"ratio_{segment}_{name}"


class CapacitySectionForm(SettingsForm):
    preset = forms.ModelChoiceField(label=_("Capacity preset"), queryset=CapacityPreset.objects.all(), empty_label=None)
    csm_annual_cost = forms.DecimalField(
        label=_("CSM fully-loaded annual cost"), required=False, min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    service_cost_share = forms.DecimalField(
        label=_("Service cost share of revenue"),
        required=False,
        min_value=Decimal("0.001"),
        max_value=Decimal(1),
        max_digits=4,
        decimal_places=3,
        help_text=_("0.15 = 15% of ARR may go to service."),
    )
    budget_per_account = forms.DecimalField(
        label=_("Service budget per account a year"),
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].label_from_instance = lambda preset: preset.name  # type: ignore[attr-defined]
        for segment in SEGMENT_ORDER:
            for name, label in RATIO_LABELS.items():
                field = forms.IntegerField(label=label, required=False, min_value=1, max_value=100_000)
                field.widget.attrs.update({"class": "form-control form-control-sm", "placeholder": "—"})
                field.disabled = self.read_only
                self.fields[ratio_field(segment, name)] = field

    def ratio_rows(self) -> list[dict[str, Any]]:
        return [
            {"label": Segment(segment).label, "cells": [self[ratio_field(segment, name)] for name in RATIO_LABELS]}
            for segment in SEGMENT_ORDER
        ]

    def ratios(self) -> dict[str, dict[str, int | None]]:
        return {
            segment: {name: self.cleaned_data.get(ratio_field(segment, name)) for name in RATIO_LABELS}
            for segment in SEGMENT_ORDER
        }

    def costs(self) -> dict[str, Decimal | None]:
        return {
            name: self.cleaned_data.get(name)
            for name in ("csm_annual_cost", "service_cost_share", "budget_per_account")
        }

    def error_fields(self) -> dict[str, str]:
        fields = {
            f"ratio.{segment}.{name}": ratio_field(segment, name) for segment in SEGMENT_ORDER for name in RATIO_LABELS
        }
        return fields | {
            f"costs.{name}": name for name in ("csm_annual_cost", "service_cost_share", "budget_per_account")
        }


class CurrencyForm(SettingsForm):
    currency = forms.CharField(
        label=_("Currency"),
        min_length=3,
        max_length=3,
        help_text=_("ISO 4217 code, e.g. CNY or USD. Amounts are not converted: set the segment bands in it too."),
    )


class RemindersForm(SettingsForm):
    renewal_reminder_days = forms.CharField(
        label=_("Remind the owner (days before the renewal date)"),
        max_length=200,
        help_text=_("Positive whole numbers separated by commas, e.g. 90, 60, 30, 7."),
    )
    renewal_reminder_overdue_days = forms.IntegerField(
        label=_("Keep reminding after the date for (days)"), min_value=0, max_value=365
    )


class ActivityDropForm(SettingsForm):
    activity_drop_share = forms.DecimalField(
        label=_("Drop share"),
        min_value=Decimal("0.05"),
        max_value=Decimal("0.95"),
        max_digits=3,
        decimal_places=2,
        help_text=_("Alert when the last 7 days hold this share fewer events than the usual week (0.5 = half)."),
    )
    activity_drop_min_baseline = forms.IntegerField(
        label=_("Minimum baseline (events a week)"),
        min_value=1,
        max_value=1_000_000,
        help_text=_("Accounts with a smaller usual week are too noisy to alert on."),
    )
    activity_drop_cooldown_days = forms.IntegerField(
        label=_("Days between two alerts of an account"), min_value=1, max_value=365
    )
