from __future__ import annotations

from typing import Any

from django import forms

from .access import AnyUser
from .models import Account
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
