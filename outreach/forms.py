"""Forms of the outreach pages: the public answer form and the staff survey forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import KeyPersonLevel, Tier, TouchpointKind
from accounts.saved_segments import segments_for_user
from accounts.segments import Segment
from core.text_limits import LIST_MAX_LENGTH

from .models import Survey


class ResponseForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your score"), coerce=int, widget=forms.RadioSelect(attrs={"class": "btn-check"})
    )
    comment = forms.CharField(
        label=_("Anything you would like to add? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )

    def __init__(self, *args: Any, scores: range, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [  # type: ignore[attr-defined]
            (score, str(score)) for score in scores
        ]


def saved_segments_field() -> forms.TypedMultipleChoiceField:
    """An audience's saved segments; the choices are the person's (``saved_segment_choices``)."""
    return forms.TypedMultipleChoiceField(
        label=_("Saved segments"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of these segments (those in your scope)."),
    )


def saved_segment_choices(user: Any) -> list[tuple[int, str]]:
    """The saved segments ``user`` sees, as an audience's choices."""
    if user is None:
        return []
    return list(segments_for_user(user=user).values_list("pk", "name"))


class AudienceForm(forms.Form):
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
    account_ids = forms.CharField(
        label=_("Only these account ids"),
        required=False,
        max_length=LIST_MAX_LENGTH,
        help_text=_("Comma-separated; empty: every account in your scope."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_segments"].choices = saved_segment_choices(user)  # type: ignore[attr-defined]

    def clean_account_ids(self) -> list[int]:
        raw = self.cleaned_data.get("account_ids") or ""
        parts = [part.strip() for part in raw.replace(" ", ",").split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(_("Give account ids as whole numbers separated by commas."))
        return [int(part) for part in parts]

    def audience(self) -> dict[str, list[Any]]:
        return {
            key: list(self.cleaned_data.get(key) or [])
            for key in ("segments", "tiers", "key_levels", "account_ids", "saved_segments")
        }


class SurveyForm(forms.ModelForm):
    auto_touchpoint_kinds = forms.MultipleChoiceField(
        label=_("After touchpoints of kinds (CSAT)"),
        choices=TouchpointKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Survey
        fields = [
            "kind",
            "name",
            "subject_en",
            "intro_en",
            "question_en",
            "subject_zh_hans",
            "intro_zh_hans",
            "question_zh_hans",
            "expires_days",
            "auto_enabled",
            "auto_every_months",
            "auto_touchpoint_kinds",
            "auto_after_tasks",
        ]
        widgets = {"intro_en": forms.Textarea(attrs={"rows": 3}), "intro_zh_hans": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "intro_en": _("Merge fields: {contact_name}, {account_name}, {csm_name}. Empty: the default wording."),
            "auto_every_months": _("NPS: each contact of the audience is asked again after this many months."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )
