from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.segments import Segment
from accounts.selectors import account_scope
from core.dates import FormDateField
from core.types import AnyUser

from .models import ActivityType, CapacityPreset


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)


class PlannerForm(forms.Form):
    segment = forms.ChoiceField(label=_("Segment"), choices=Segment.choices, initial=Segment.ENTERPRISE)
    accounts = forms.IntegerField(label=_("Accounts"), min_value=0, max_value=10_000_000, initial=100)
    arr = forms.DecimalField(label=_("ARR"), required=False, min_value=0, max_digits=16, decimal_places=2)
    ratio = forms.IntegerField(
        label=_("Accounts per CSM"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("Leave empty for the segment's range."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class TimeEntryForm(forms.Form):
    date = FormDateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    activity_type = forms.ModelChoiceField(
        label=_("Activity"), queryset=ActivityType.objects.none(), empty_label=_("Choose an activity")
    )
    account = forms.ModelChoiceField(
        label=_("Account"), queryset=Account.objects.none(), required=False, empty_label=_("— none (internal) —")
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = ActivityType.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["activity_type"].label_from_instance = lambda obj: obj.label  # type: ignore[attr-defined]
        self.fields["account"].queryset = account_scope(user=user).order_by("name", "pk")  # type: ignore[attr-defined]
        _style(self)


class PresetForm(forms.Form):
    preset = forms.ModelChoiceField(label=_("Capacity preset"), queryset=CapacityPreset.objects.all(), empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
