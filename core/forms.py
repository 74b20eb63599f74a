"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def form_add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, list(map(str, messages)))


DJANGO_EMPTY_CHOICE = "---------"


def form_name_empty_choices(form: forms.BaseForm, label: str | None = None) -> None:
    """Replace Django's "---------" empty choice with a word in the reader's language."""
    word = label if label is not None else _("Not set")
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label == DJANGO_EMPTY_CHOICE:
                field.empty_label = word
        elif isinstance(field, forms.ChoiceField):
            choices = list(field.choices)  # type: ignore[arg-type]  # a list by now (the form is built)
            if choices and choices[0] == ("", DJANGO_EMPTY_CHOICE):
                field.choices = [("", word), *choices[1:]]
