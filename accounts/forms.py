from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .access import AnyUser
from .models import Account, Stakeholder, TouchpointKind
from .selectors import assignable_owners


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["name", "external_id", "industry", "arr", "icp_fit", "owner", "go_live_date", "status"]
        widgets = {"go_live_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(user=user)  # type: ignore[attr-defined]
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
        _style(self)


class TouchpointForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=TouchpointKind.choices)
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    title = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
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
