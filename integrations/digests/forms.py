from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, NotificationPreference, Weekday
from .preferences import EmailedKind, time_zone_names

SELECT = {"class": "form-select form-select-sm"}
CHECK = {"class": "form-check-input"}
# The sweep runs every 15 minutes, so digest times are quarter hours.
QUARTER_HOURS = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 15, 30, 45)]


class PreferenceForm(forms.Form):
    daily = forms.BooleanField(label=_("Daily digest"), required=False, widget=forms.CheckboxInput(CHECK))
    weekly = forms.BooleanField(label=_("Weekly digest"), required=False, widget=forms.CheckboxInput(CHECK))
    weekly_day = forms.TypedChoiceField(
        label=_("Weekly digest on"), choices=Weekday.choices, coerce=int, widget=forms.Select(SELECT)
    )
    send_at = forms.ChoiceField(
        label=_("Digest time"), choices=[(t, t) for t in QUARTER_HOURS], widget=forms.Select(SELECT)
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), widget=forms.Select(SELECT))

    def __init__(self, *args: Any, kinds: list[EmailedKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = self.fields["time_zone"]
        assert isinstance(zones, forms.ChoiceField)
        zones.choices = [(name, name) for name in time_zone_names()]
        self.kinds = kinds
        for kind in kinds:
            self.fields[f"channel_{kind.key}"] = forms.ChoiceField(
                label=kind.label, choices=Channel.choices, widget=forms.Select(SELECT)
            )

    @classmethod
    def initial_from(cls, preference: NotificationPreference, kinds: list[EmailedKind]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "daily": preference.daily,
            "weekly": preference.weekly,
            "weekly_day": preference.weekly_day,
            "send_at": preference.send_at.strftime("%H:%M"),
            "time_zone": preference.time_zone,
        }
        for kind in kinds:
            initial[f"channel_{kind.key}"] = preference.channels.get(kind.key, Channel.EMAIL)
        return initial

    def schedule_fields(self) -> list[forms.BoundField]:
        return [self["weekly_day"], self["send_at"], self["time_zone"]]

    def channel_fields(self) -> list[forms.BoundField]:
        return [self[f"channel_{kind.key}"] for kind in self.kinds]

    def values(self) -> dict[str, Any]:
        """What ``preference_save`` takes, from the cleaned data."""
        data = self.cleaned_data
        hours, minutes = data["send_at"].split(":")
        return {
            "daily": data["daily"],
            "weekly": data["weekly"],
            "weekly_day": data["weekly_day"],
            "send_at": time(int(hours), int(minutes)),
            "time_zone": data["time_zone"],
            "channels": {kind.key: data[f"channel_{kind.key}"] for kind in self.kinds},
        }
