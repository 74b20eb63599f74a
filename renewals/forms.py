from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.dates import FormDateField
from core.text_limits import NOTE_MAX_LENGTH

from .kpis import GROUP_BY_CHOICES, default_period
from .models import CLOSED_STATUSES, OPEN_EXPANSION_STAGES, ChurnReason, ExpansionKind, ExpansionStage, RenewalStatus


class _StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)


class AtRiskForm(_StyledForm):
    reason = forms.CharField(label=_("Why is it at risk?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class StageForm(_StyledForm):
    status = forms.ChoiceField(
        label=_("Stage"), choices=[(RenewalStatus.OPEN, _("Open")), (RenewalStatus.COMMITTED, _("Committed"))]
    )


class OverrideForm(_StyledForm):
    probability = forms.IntegerField(
        label=_("Your probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Leave empty to withdraw your call and follow the signal."),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=NOTE_MAX_LENGTH
    )
    forecast_arr = forms.DecimalField(
        label=_("Forecast ARR"), min_value=Decimal("0"), max_digits=14, decimal_places=2, required=False
    )

    def probability_ratio(self) -> Decimal | None:
        value = self.cleaned_data.get("probability")
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


class CloseForm(_StyledForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[(status.value, status.label) for status in CLOSED_STATUSES]
    )
    outcome_arr = forms.DecimalField(
        label=_("New ARR"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("The ARR of the next period (not needed for churn)."),
    )
    churn_reason = forms.ModelChoiceField(
        label=_("Churn reason"),
        queryset=ChurnReason.objects.filter(active=True),
        required=False,
        empty_label=_("Not set"),
    )
    next_end_date = FormDateField(
        label=_("Next period ends"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the same term as the current contract."),
    )


class KpiForm(_StyledForm):
    """The KPI page's and API's period and grouping; missing values fall back to defaults."""

    MAX_DAYS = 366 * 10

    start = FormDateField(label=pgettext_lazy("period", "From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = FormDateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(label=_("Group by"), choices=GROUP_BY_CHOICES)

    @classmethod
    def from_query(cls, query: Mapping[str, Any], today: date) -> KpiForm:
        start, end = default_period(today)
        data = {"start": start.isoformat(), "end": end.isoformat(), "group_by": "company"}
        data.update({key: query[key] for key in data if query.get(key)})
        return cls(data)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end must not be before the start."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("end", _("Choose a period of at most ten years."))
        return cleaned


OPEN_OR_WON_STAGES = [(stage.value, stage.label) for stage in ExpansionStage if stage.value != ExpansionStage.LOST]
OPEN_STAGE_CHOICES = [(stage, ExpansionStage(stage).label) for stage in OPEN_EXPANSION_STAGES]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExpansionForm(_StyledForm):
    """Raise an expansion (on a renewal's account, or with ``account`` on the pipeline)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ExpansionKind.choices)
    amount = forms.DecimalField(label=_("Amount (ARR)"), max_digits=14, decimal_places=2, min_value=0)
    stage = forms.ChoiceField(label=_("Stage"), choices=OPEN_OR_WON_STAGES, initial=ExpansionStage.IDENTIFIED)
    expected_close = FormDateField(label=_("Expected close"), required=False, widget=_date_widget())
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: the stage's usual probability."),
    )


class ScopedAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ExpansionCreateForm(ExpansionForm):
    """The pipeline page's form: the account is one the user may see (others: not found)."""

    # A choice list up to this many accounts; beyond it the account is entered by id.
    SELECT_LIMIT = 1000

    field_order = ["account", "title", "kind", "amount", "stage", "expected_close", "probability"]

    def __init__(self, *args: Any, accounts: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget: forms.Widget
        if accounts.count() <= self.SELECT_LIMIT:
            widget = forms.Select(attrs={"class": "form-select form-select-sm"})
        else:
            widget = forms.NumberInput(attrs={"class": "form-control form-control-sm"})
        self.fields["account"] = ScopedAccountChoiceField(
            label=_("Account"),
            queryset=accounts.only("pk", "name").order_by("name", "pk"),
            empty_label=_("Choose an account"),
            widget=widget,
            error_messages={"invalid_choice": _("Choose one of your accounts.")},
        )
        self.order_fields(self.field_order)


class ExpansionEditForm(_StyledForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ExpansionKind.choices)
    amount = forms.DecimalField(label=_("Amount (ARR)"), max_digits=14, decimal_places=2, min_value=0)
    expected_close = FormDateField(label=_("Expected close"), required=False, widget=_date_widget())
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: the stage's usual probability."),
    )


class ExpansionStageForm(_StyledForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=OPEN_STAGE_CHOICES)


class ExpansionWinForm(_StyledForm):
    closed_on = FormDateField(
        label=_("Signed on"),
        required=False,
        widget=_date_widget(),
        help_text=_("The contract's ARR rises from this day. Empty: today."),
    )


class ExpansionLoseForm(_StyledForm):
    reason = forms.CharField(label=_("Why was it lost?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
