from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filters import person_name
from accounts.models import TouchpointKind
from accounts.selectors import assignable_owners


class TouchLogForm(forms.Form):
    """The small "log a touch" form shown when completing a task."""

    kind = forms.ChoiceField(label=_("Type"), choices=TouchpointKind.choices, initial=TouchpointKind.CALL)
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
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
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class ReassignForm(forms.Form):
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assign to"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignable_owners(user=user)
        field.label_from_instance = person_name  # type: ignore[method-assign,assignment]
        field.widget.attrs["class"] = "form-select form-select-sm"
