from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Industry, TouchpointKind
from accounts.segments import Segment
from core.forms import form_name_empty_choices
from core.text_limits import LIST_MAX_LENGTH, NOTE_MAX_LENGTH, TEXT_MAX_LENGTH

from .models import CASE_CONTENT_FIELDS, Campaign, Case, FeedbackRequest, FeedbackStatus, SizeBand, Urgency


class CaseForm(forms.ModelForm):
    products = forms.CharField(
        label=_("Products used"),
        required=False,
        max_length=LIST_MAX_LENGTH,
        help_text=_("Separate products with commas."),
    )

    class Meta:
        model = Case
        fields = list(CASE_CONTENT_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in (
            "problem", "approach", "result", "policy_support", "resources", "org_capability", "business_volume"
        )}  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["products"] = ", ".join(self.instance.products or [])
        form_name_empty_choices(self)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["products"] = (data.get("products") or "").split(",")
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))], label=_("Decision"))
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class ShareForm(forms.Form):
    kind = forms.ChoiceField(label=_("How"), choices=TouchpointKind.choices, initial=TouchpointKind.EMAIL)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompanySizeForm(forms.Form):
    size_band = forms.ChoiceField(label=_("Company size"), choices=SizeBand.choices)


class FeedbackRaiseForm(forms.Form):
    existing = forms.ModelChoiceField(
        label=_("Link to an existing request"),
        queryset=FeedbackRequest.objects.filter(merged_into=None).exclude(status=FeedbackStatus.DECLINED),
        required=False,
        help_text=_("Pick one if the request already exists: one request, many accounts."),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    problem = forms.CharField(
        label=_("Problem"), required=False, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    business_scenario = forms.CharField(
        label=_("Business scenario"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM)
    roi_estimate = forms.DecimalField(
        label=_("ROI estimate"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Revenue a year this would keep or win (renewal saved, expansion), in the deployment's currency."),
    )
    alternatives = forms.CharField(
        label=_("Alternatives considered"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FeedbackStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=FeedbackStatus.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class FeedbackMergeForm(forms.Form):
    into = forms.ModelChoiceField(label=_("Merge into"), queryset=FeedbackRequest.objects.filter(merged_into=None))


class CampaignForm(forms.ModelForm):
    event_names = forms.CharField(
        label=_("Usage event names"),
        max_length=LIST_MAX_LENGTH,
        help_text=_("Separate event names with commas, e.g. opportunity_created."),
    )
    segments = forms.MultipleChoiceField(
        label=_("Segments"), choices=Segment.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    industries = forms.MultipleChoiceField(
        label=_("Industries"), choices=Industry.choices, required=False, widget=forms.SelectMultiple
    )
    products = forms.CharField(
        label=_("Products"), required=False, max_length=LIST_MAX_LENGTH, help_text=_("Separate products with commas.")
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "feature",
            "value",
            "event_names",
            "feedback_request",
            "segments",
            "industries",
            "products",
            "stall_days",
        ]
        widgets = {"value": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["feedback_request"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = FeedbackRequest.objects.filter(status=FeedbackStatus.SHIPPED, merged_into=None)
        form_name_empty_choices(self)

    def clean_event_names(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["event_names"].split(",") if n.strip()]
        if not names:
            raise forms.ValidationError(_("Name at least one usage event of the feature."))
        return names

    def clean_products(self) -> list[str]:
        return [p.strip() for p in (self.cleaned_data.get("products") or "").split(",") if p.strip()]

    def service_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
