"""Form helpers shared by every app's views."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


def form_add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, list(map(str, messages)))


class FetchedModelChoiceIterator(ModelChoiceIterator):
    """Model choices from one plain query of the queryset.

    Django iterates them with ``QuerySet.iterator()``, which on PostgreSQL opens a
    server-side cursor (DECLARE, FETCH, CLOSE): three round trips for the handful of
    choices a form on a page shows (an account's stakeholders, say).
    """

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class FetchedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """``ModelMultipleChoiceField`` whose choices come from one plain query."""

    iterator = FetchedModelChoiceIterator
