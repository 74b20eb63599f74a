"""Database ids from user input: whole numbers in 1..2**63-1, checked before any query.

A larger number reaches the driver as an integer it cannot bind (SQLite and psycopg
raise OverflowError, a 500); refusing it at the form field makes it the usual error
naming the field, on the pages, the CSV exports and the API (DRF's filter backend
answers 400 with the FilterSet's errors).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters import fields as filter_fields

DB_ID_MAX = 2**63 - 1


def is_db_id(value: Any) -> bool:
    """Whether ``value`` (an int or its text) is an id any row could have."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 1 <= value <= DB_ID_MAX
    text = str(value).strip()
    # Length first: int() of a huge digit string is costly, and no id has 20 digits.
    return text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= DB_ID_MAX


def _refuse(field: forms.Field, values: Iterable[Any]) -> None:
    for value in values:
        if value not in field.empty_values and not is_db_id(value):
            raise ValidationError(
                field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )


class IdChoiceField(filter_fields.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        _refuse(self, [value])
        return super().to_python(value)


class IdMultipleChoiceField(filter_fields.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        _refuse(self, value if isinstance(value, list | tuple) else [value])
        return super()._check_values(value)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` on a model with an integer primary key."""

    field_class = IdChoiceField


class IdMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """``ModelMultipleChoiceFilter`` on a model with an integer primary key."""

    field_class = IdMultipleChoiceField


class IdFilter(django_filters.NumberFilter):
    """A raw id in the query string (``?account=12``): a whole number in the id range."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", DB_ID_MAX)
        super().__init__(*args, **kwargs)


def validate_id_or_keyword(*keywords: str) -> Any:
    """A validator for a text filter that takes an id or one of a few keywords."""

    def validate(value: str) -> None:
        value = (value or "").strip()
        if value and value not in keywords and not is_db_id(value):
            # The message stays a template with its params: django-filter interpolates it
            # again, and a value with "%" in it must not be read as a format directive.
            message = forms.ChoiceField.default_error_messages["invalid_choice"]
            raise ValidationError(message, code="invalid_choice", params={"value": value})

    return validate
