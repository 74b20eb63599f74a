from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.dates import FormDateField, FormDateTimeField, validate_not_in_future
from core.forms import form_name_empty_choices
from core.people import display_name
from core.text_limits import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH

from .access import AnyUser
from .dossier import ROW_FIELDS, ROW_MODELS
from .models import Account, ImportKind, SectionKey, Stakeholder, Tier, TouchpointKind, Verdict
from .segments import Segment
from .selectors import assignable_owners


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["name", "external_id", "industry", "arr", "icp_fit", "owner", "go_live_date", "status"]
        widgets = {"go_live_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        field_classes = {"go_live_date": FormDateField}

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = assignable_owners(user=user)  # type: ignore[attr-defined]
        owner.label_from_instance = display_name  # type: ignore[attr-defined]
        owner.empty_label = _("Unassigned")  # type: ignore[attr-defined]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue
        css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)


class StakeholderForm(forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = [
            "name", "title", "department", "email", "phone", "tier", "key_level", "relationship",
            "reports_to", "demands", "personality", "work_goals",
        ]  # fmt: skip
        widgets = {
            "demands": forms.Textarea(attrs={"rows": 2}),
            "personality": forms.Textarea(attrs={"rows": 2}),
            "work_goals": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        colleagues = Stakeholder.objects.filter(account=account, is_active=True)
        if self.instance.pk:
            colleagues = colleagues.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = colleagues  # type: ignore[attr-defined]
        form_name_empty_choices(self)
        _style(self)


# A touchpoint's summary is a note, not a document: long enough for minutes of a meeting,
# short enough that one entry cannot swamp the timeline (the API has the same limit).
TOUCHPOINT_TEXT_MAX = TEXT_MAX_LENGTH


class TouchpointForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=TouchpointKind.choices)
    occurred_at = FormDateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[validate_not_in_future],
    )
    title = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Summary"), required=False, max_length=TOUCHPOINT_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(
        label=_("Outcome"), required=False, max_length=TOUCHPOINT_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    duration_minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=0, max_value=24 * 60)
    stakeholders = forms.ModelMultipleChoiceField(
        label=_("With"), queryset=Stakeholder.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stakeholders"].queryset = Stakeholder.objects.filter(  # type: ignore[attr-defined]
            account=account, is_active=True
        )
        _style(self)


class DossierSectionForm(forms.Form):
    content = forms.CharField(
        label=_("Notes (Markdown)"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def dossier_rows_formset(key: str, account: Account, data: Any = None) -> forms.BaseModelFormSet | None:
    """The formset for a structured section's rows (None for notes-only sections)."""
    if key not in ROW_MODELS:
        return None
    model = ROW_MODELS[key]
    widgets: dict[str, Any] = {
        name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        for name in ("start_date", "due_date", "date")
        if name in ROW_FIELDS[key]
    } | {name: forms.Textarea(attrs={"rows": 2}) for name in ("notes", "description") if name in ROW_FIELDS[key]}
    formset_class: Any = forms.modelformset_factory(
        model,
        fields=ROW_FIELDS[key],
        extra=1,
        can_delete=True,
        widgets=widgets,
    )
    formset = formset_class(data, queryset=model.objects.filter(account=account), prefix=f"rows-{key}")  # type: ignore[attr-defined]
    for form in formset.forms:
        _style(form)
    return formset


def formset_rows(formset: forms.BaseModelFormSet, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows to keep, as the service wants them: changed/new forms and untouched existing ones."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("DELETE"):
            continue
        if not data and form.instance.pk is None:
            continue  # the blank extra row
        row = {name: data.get(name, getattr(form.instance, name)) for name in fields}
        row["id"] = form.instance.pk
        rows.append(row)
    return rows


class DossierReviewForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=Verdict.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Overall comment"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in SectionKey.choices:
            self.fields[f"rating_{key}"] = forms.TypedChoiceField(
                label=label,
                choices=[(i, str(i)) for i in range(1, 6)],
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
            self.fields[f"comment_{key}"] = forms.CharField(
                label=_("Comment"),
                required=False,
                widget=forms.TextInput(
                    attrs={"class": "form-control form-control-sm", "placeholder": _("Comment on this section")}
                ),
            )

    def section_fields(self) -> list[tuple[str, Any, Any]]:
        return [(str(label), self[f"rating_{key}"], self[f"comment_{key}"]) for key, label in SectionKey.choices]

    def ratings(self) -> dict[str, tuple[int, str]]:
        data = self.cleaned_data
        return {key: (data[f"rating_{key}"], data.get(f"comment_{key}", "")) for key in SectionKey.values}


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class CsvImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8 or GB18030; up to 20 MB."))
    valid_only = forms.BooleanField(
        label=_("Import valid rows only (download the rejected rows to fix them)"), required=False
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it."))
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file."))
        return upload


class OverdueContactsFilterForm(forms.Form):
    """Filters of the overdue-contacts page (and its API): tier, CSM, segment, order."""

    tier = forms.ChoiceField(label=_("Tier"), choices=[("", _("All tiers")), *Tier.choices], required=False)
    owner = forms.ModelChoiceField(
        label=_("CSM"), queryset=get_user_model().objects.none(), required=False, empty_label=_("All CSMs")
    )
    segment = forms.ChoiceField(label=_("Segment"), choices=[("", _("All segments")), *Segment.choices], required=False)
    order = forms.ChoiceField(
        label=_("Sort"),
        choices=[("most", _("Most overdue first")), ("least", _("Least overdue first"))],
        required=False,
    )

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = display_name  # type: ignore[attr-defined]
        _style(self)


class LogTouchForm(forms.Form):
    """The one-click "log a touch" of the overdue-contacts list."""

    kind = forms.ChoiceField(label=_("Type"), choices=TouchpointKind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
