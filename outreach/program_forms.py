"""Forms of the program pages: the program (audience, entry) and its steps (a formset)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import KeyPersonLevel, Tier
from accounts.segments import Segment
from core.forms import form_name_empty_choices
from core.people import display_name
from health.models import Colour
from org.models import Role
from playbooks.models import TaskType

from .forms import saved_segment_choices, saved_segments_field
from .models import ProgramEntry, ProgramStep

MERGE_HELP = _(
    "Merge fields: {contact_name}, {account_name}, {csm_name}, {events_30d} (usage events in the last 30 days), "
    "{active_users_30d} (most active users in a day, last 30 days)."
)


class ProgramForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    segments = forms.MultipleChoiceField(
        label=_("Segments"), choices=Segment.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tiers = forms.MultipleChoiceField(
        label=_("Stakeholder tiers"), choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    key_levels = forms.TypedMultipleChoiceField(
        label=_("Key person level"),
        choices=KeyPersonLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    saved_segments = saved_segments_field()
    owner_ids = forms.TypedMultipleChoiceField(
        label=_("Account owners"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    entry = forms.ChoiceField(label=_("Entry condition"), choices=ProgramEntry.choices)
    entry_colours = forms.MultipleChoiceField(
        label=_("Health colours (entry)"), choices=Colour.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_segments"].choices = saved_segment_choices(user)  # type: ignore[attr-defined]
        owners = get_user_model().objects.filter(is_active=True, cs_profile__role=Role.CSM).order_by("first_name")
        self.fields["owner_ids"].choices = [(user.pk, display_name(user)) for user in owners]  # type: ignore[attr-defined]
        self.fields["name"].widget.attrs["class"] = "form-control"
        self.fields["entry"].widget.attrs["class"] = "form-select"

    def audience(self) -> dict[str, list[Any]]:
        keys = ("segments", "tiers", "key_levels", "owner_ids", "saved_segments")
        return {key: list(self.cleaned_data.get(key) or []) for key in keys}


class StepForm(forms.ModelForm):
    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    link_url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    task_type = forms.ChoiceField(label=_("Task type"), choices=TaskType.choices, required=False, initial="activity")
    condition_colours = forms.MultipleChoiceField(
        label=_("Health colours"), choices=Colour.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ProgramStep
        fields = [
            "position",
            "kind",
            "subject_en",
            "body_en",
            "subject_zh_hans",
            "body_zh_hans",
            "link_url",
            "link_text_en",
            "link_text_zh_hans",
            "wait_days",
            "condition",
            "condition_colours",
            "goto_position",
            "task_title",
            "task_due_days",
            "task_type",
        ]
        widgets = {"body_en": forms.Textarea(attrs={"rows": 4}), "body_zh_hans": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "body_en": MERGE_HELP,
            "task_title": _("Empty: “Follow up with {contact_name} ({account_name})”."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_name_empty_choices(self)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput | forms.HiddenInput):
                continue
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def validate_unique(self) -> None:
        """Positions are checked across the whole program by the service."""

    def step(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        for name in ("subject_en", "body_en", "subject_zh_hans", "body_zh_hans", "link_url", "task_title"):
            data[name] = data[name] or ""
        for name in ("link_text_en", "link_text_zh_hans", "condition"):
            data[name] = data[name] or ""
        data["task_due_days"] = data["task_due_days"] if data["task_due_days"] is not None else 3
        data["task_type"] = data["task_type"] or TaskType.ACTIVITY
        if self.cleaned_data.get("pk"):
            data["pk"] = self.cleaned_data["pk"]
        return data


StepFormSet = formset_factory(StepForm, extra=2, can_delete=True, max_num=30, absolute_max=40)
