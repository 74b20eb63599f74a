"""The builder's forms: the playbook, its conditions (a formset) and its steps (a formset).

The forms check shapes and bounds; ``playbook_save`` checks the rules again and its errors
are put back on the fields they name (``core.forms.form_add_service_errors``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.filters import person_name
from accounts.segments import Segment

from ..models import OwnerRole, Playbook, Priority, TaskType, TriggerKind
from .conditions import FIELDS, OPS, field_choices, validate_condition

WEEKDAYS = [
    ("", _("Every day")),
    ("0", _("Mondays")),
    ("1", _("Tuesdays")),
    ("2", _("Wednesdays")),
    ("3", _("Thursdays")),
    ("4", _("Fridays")),
    ("5", _("Saturdays")),
    ("6", _("Sundays")),
]


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
        widget.attrs.setdefault("class", css)


class PlaybookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    trigger = forms.ChoiceField(
        label=_("Trigger"), choices=[c for c in TriggerKind.choices if c[0] != TriggerKind.MANUAL]
    )
    schedule_weekday = forms.TypedChoiceField(
        label=_("Runs"),
        choices=WEEKDAYS,
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Scheduled rules, in the company's time zone."),
    )
    segments = forms.MultipleChoiceField(
        label=_("Segments"),
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every segment."),
    )
    arr_min = forms.DecimalField(label=_("ARR from"), required=False, min_value=0, max_digits=14, decimal_places=2)
    arr_max = forms.DecimalField(label=_("ARR below"), required=False, min_value=0, max_digits=14, decimal_places=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("schedule_weekday") is not None and data.get("trigger") != TriggerKind.SCHEDULE:
            self.add_error("schedule_weekday", _("A weekday is for scheduled rules only."))
        return data

    @staticmethod
    def initial_for(playbook: Playbook) -> dict[str, Any]:
        return {
            "name": playbook.display_name,
            "description": playbook.display_description,
            "trigger": playbook.trigger,
            "schedule_weekday": "" if playbook.schedule_weekday is None else str(playbook.schedule_weekday),
            "segments": playbook.segments,
            "arr_min": playbook.arr_min,
            "arr_max": playbook.arr_max,
        }


class ConditionForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), choices=[("", _("Choose a field"))])
    # The initial is the first option, so a blank row a browser sends back is unchanged.
    op = forms.ChoiceField(label=_("Operator"), choices=[(k, v) for k, v in OPS.items()], initial="eq")
    value = forms.CharField(
        label=_("Value"),
        max_length=200,
        required=False,
        help_text=_("A number, or a choice (several: comma-separated)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("Choose a field")), *field_choices()]  # type: ignore[attr-defined]
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("field") or self.errors:
            return data
        value: Any = data.get("value", "")
        spec = FIELDS[data["field"]]
        if spec.kind == "choice":
            # A choice by its code or its label, in either language ("red", "Red", "红").
            by_label = {str(label).casefold(): key for key, label in (spec.choices or list)()}
            values = [by_label.get(v.strip().casefold(), v.strip()) for v in value.split(",") if v.strip()]
            value = values if data["op"] == "in" else (values[0] if values else "")
        try:
            data["condition"] = validate_condition({"field": data["field"], "op": data["op"], "value": value})
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                self.add_error(key if key in self.fields else None, list(map(str, messages)))
        return data


class BaseConditionFormSet(forms.BaseFormSet):
    def conditions(self) -> list[dict[str, Any]]:
        return [
            f.cleaned_data["condition"]
            for f in self.forms
            if f.cleaned_data.get("condition") and not f.cleaned_data.get("DELETE")
        ]


ConditionFormSet = forms.formset_factory(
    ConditionForm, formset=BaseConditionFormSet, extra=2, can_delete=True, max_num=10, validate_max=True
)


def condition_initial(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for c in conditions or []:
        value = c.get("value")
        rows.append(
            {
                "field": c.get("field"),
                "op": c.get("op"),
                "value": ", ".join(value) if isinstance(value, list) else value,
            }
        )
    return rows


class StepForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    checklist = forms.CharField(
        label=_("Checklist"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One item a line."),
    )
    due_offset_days = forms.IntegerField(
        label=_("Due (days after the trigger)"), initial=7, min_value=-365, max_value=365
    )
    owner_role = forms.ChoiceField(label=_("Owner"), choices=OwnerRole.choices, initial=OwnerRole.CSM)
    named_user = forms.ModelChoiceField(
        label=_("Named person"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Choose a person"),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.MEDIUM
    )
    task_type = forms.ChoiceField(label=_("Type"), choices=TaskType.choices, initial=TaskType.LIFECYCLE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        named = self.fields["named_user"]
        named.queryset = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")  # type: ignore[attr-defined]
        named.label_from_instance = person_name  # type: ignore[attr-defined]
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("owner_role") == OwnerRole.NAMED_USER and not data.get("named_user"):
            self.add_error("named_user", _("Choose the person for this step."))
        return data


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self) -> list[dict[str, Any]]:
        return [
            {**f.cleaned_data, "checklist": (f.cleaned_data.get("checklist") or "").splitlines()}
            for f in self.forms
            if f.cleaned_data and f.cleaned_data.get("title") and not f.cleaned_data.get("DELETE")
        ]


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)


def step_initial(playbook: Playbook) -> list[dict[str, Any]]:
    return [
        {
            "id": step.pk,
            "title": gettext(step.title),
            "description": gettext(step.description) if step.description else "",
            "checklist": "\n".join(str(item) for item in step.checklist or []),
            "due_offset_days": step.due_offset_days,
            "owner_role": step.owner_role,
            "named_user": step.named_user_id,
            "priority": step.priority,
            "task_type": step.task_type,
        }
        for step in playbook.steps.all()
    ]
