"""Dates and date-times from user input: 1990-01-01 to 2100-12-31, checked at the field.

A year such as 0236 parses, but in the deployment's zone it carries a local-mean-time
offset (Asia/Shanghai: +08:05:43) that is no valid ISO 8601 offset, so the API's own
answers would break its schema; and no customer-success record predates 1990 or lies
after 2100. Every form field, serializer field, filter and CSV column where a person
types a date runs ``validate_date_range``, so the error names the field like any other.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)

__all__ = [
    "EARLIEST",
    "LATEST",
    "BoundedDateField",
    "BoundedDateTimeField",
    "FormDateField",
    "FormDateTimeField",
    "date_in_range",
    "date_range_message",
    "validate_date_range",
    "validate_not_in_future",
]


def date_in_range(value: date | datetime) -> bool:
    """Whether the calendar date as entered (a date-time's own date) lies in the range."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def date_range_message() -> str:
    return str(_("Enter a date between %(earliest)s and %(latest)s.") % {"earliest": EARLIEST, "latest": LATEST})


def validate_date_range(value: Any) -> None:
    """A Django validator (forms, DRF fields, filters): refuses dates outside the range."""
    if isinstance(value, date) and not date_in_range(value):
        raise ValidationError(date_range_message(), code="date_range")


def validate_not_in_future(value: Any) -> None:
    """For records of what happened (a touchpoint): no later than tomorrow.

    A day of slack covers a colleague in another time zone; a meeting still to come is a
    task, and a far-future date would sit at the top of the timeline for ever.
    """
    from django.utils import timezone

    if not isinstance(value, date) or not date_in_range(value):
        return  # validate_date_range names the range
    day = timezone.localtime(value).date() if isinstance(value, datetime) and timezone.is_aware(value) else value
    if isinstance(day, datetime):
        day = day.date()
    if day > timezone.localdate() + timedelta(days=1):
        raise ValidationError(
            _("This records what happened: enter a date no later than tomorrow."), code="date_in_future"
        )


def _with_validator(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs["validators"] = [validate_date_range, *kwargs.get("validators", [])]
    return kwargs


class BoundedDateField(serializers.DateField):
    """A DRF date field that refuses dates outside 1990-01-01..2100-12-31."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_validator(kwargs))


class BoundedDateTimeField(serializers.DateTimeField):
    """A DRF date-time field that refuses date-times outside 1990-01-01..2100-12-31."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_validator(kwargs))


class FormDateField(forms.DateField):
    """A form (and django-filter) date field bounded like ``BoundedDateField``."""

    default_validators = [validate_date_range]


class FormDateTimeField(forms.DateTimeField):
    """A form date-time field bounded like ``BoundedDateTimeField``."""

    default_validators = [validate_date_range]
