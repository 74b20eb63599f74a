"""The form of the unmatched inbox: pick the account an email belongs to."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import account_scope
from core.types import AnyUser


class AssignForm(forms.Form):
    account: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Account"),
        queryset=None,
        empty_label=_("Pick an account"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": _("Pick one of your accounts.")},
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only accounts in the person's scope are offered, and only those validate.
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = account_scope(user=user).only("pk", "name").order_by("name", "pk")
