from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filters import person_name
from accounts.forms import TOUCHPOINT_TEXT_MAX
from accounts.models import Account, TouchpointKind
from accounts.selectors import account_scope, assignable_owners
from core.dates import FormDateField
from core.text_limits import TEXT_MAX_LENGTH
from core.types import AnyUser

from .models import Priority, TaskType


class TouchLogForm(forms.Form):
    """The small "log a touch" form shown when completing a task."""

    kind = forms.ChoiceField(label=_("Type"), choices=TouchpointKind.choices, initial=TouchpointKind.CALL)
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=TOUCHPOINT_TEXT_MAX
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=2000)
    duration_minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=0, max_value=24 * 60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if name == "kind" else "form-control form-control-sm"
            )

    def touchpoint(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["occurred_at"] = timezone.now()
        return data


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class ReassignForm(forms.Form):
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assign to"), queryset=get_user_model().objects.none(), empty_label=_("Choose a person")
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignable_owners(user=user)
        field.label_from_instance = person_name  # type: ignore[method-assign,assignment]
        field.widget.attrs["class"] = "form-select form-select-sm"


class TaskCreateForm(forms.Form):
    """A task created by hand: on the account's tasks tab or the tasks page."""

    account: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Account"), queryset=Account.objects.none(), empty_label=_("Choose an account")
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("The account owner"),
        help_text=_("Empty: the account owner."),
    )
    due_date = FormDateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.MEDIUM
    )
    task_type = forms.ChoiceField(label=_("Type"), choices=TaskType.choices, initial=TaskType.ACTIVITY)
    checklist = forms.CharField(
        label=_("Checklist"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("One item a line."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=TEXT_MAX_LENGTH
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = self.fields["account"]
        assignee = self.fields["assignee"]
        assert isinstance(account, forms.ModelChoiceField) and isinstance(assignee, forms.ModelChoiceField)
        account.queryset = account_scope(user=user).order_by("name", "pk")
        assignee.queryset = assignable_owners(user=user)
        assignee.label_from_instance = person_name  # type: ignore[method-assign,assignment]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_due_date(self) -> date:
        due: date = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due

    def checklist_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("checklist", "").splitlines() if line.strip()]
