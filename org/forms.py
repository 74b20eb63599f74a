"""Forms of the people pages: what a manager or admin may choose depends on who they are."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Role, Team
from .people import assignable_roles, manageable_teams


class _PeopleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("No such team, or not one you may choose.")},
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = assignable_roles(actor)  # type: ignore[attr-defined]
        team_field = self.fields["team"]
        team_field.queryset = manageable_teams(actor)  # type: ignore[attr-defined]
        team_field.empty_label = _("No team")  # type: ignore[attr-defined]
        for field in self.fields.values():
            css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)


class InviteForm(_PeopleForm):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    language = forms.ChoiceField(label=_("Language"), required=False)

    field_order = ["first_name", "last_name", "email", "role", "team", "language"]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["language"].choices = [("", _("Site default")), *settings.LANGUAGES]  # type: ignore[attr-defined]
        self.fields["role"].initial = Role.CSM


class PersonForm(_PeopleForm):
    """Role and team of an existing person."""
