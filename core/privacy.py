"""Redacting a person's name, email or phone from stored text (personal-data erasure).

Generic on purpose (core imports no app): each app that stores free text about a
customer contact passes its querysets here when ``accounts`` erases one
(``accounts.signals.stakeholder_erasing``). A model with django-simple-history gets its
historical rows redacted too, so the audit trail keeps no copy of what was erased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models

# Shorter terms would redact parts of unrelated words ("Li" in "Lisa").
MIN_TERM_LENGTH = 2


def redaction_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for every term, longest first; None if none is usable.

    A term matches only where it does not continue a Latin word or number ("Ann" is not
    redacted inside "Annual"); CJK names match anywhere, as Chinese has no spaces.
    """
    cleaned = sorted({term.strip() for term in terms if len(term.strip()) >= MIN_TERM_LENGTH}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(term) for term in cleaned)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)


def redact_value(value: Any, pattern: re.Pattern[str], replacement: str) -> Any:
    """``value`` with every match replaced; walks JSON (dicts, lists) and leaves other types."""
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [redact_value(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item, pattern, replacement) for key, item in value.items()}
    return value


def mentions(value: Any, pattern: re.Pattern[str]) -> bool:
    return redact_value(value, pattern, "\x00") != value


def redact_rows(
    queryset: models.QuerySet[Any],
    *,
    fields: Sequence[str],
    pattern: re.Pattern[str],
    replacement: str,
    history_filter: dict[str, Any] | None = None,
) -> int:
    """Redact ``fields`` of the rows of ``queryset`` (and of their history); rows changed.

    Reads only the candidate rows' fields and writes the changed ones in one bulk update,
    so the model's ``save()`` (and its history) is not involved. The history rows are
    those matching ``history_filter`` (which also finds rows of deleted objects), else
    those of the objects in ``queryset``.
    """
    changed = _redact_queryset(queryset, fields=fields, pattern=pattern, replacement=replacement)
    history = getattr(queryset.model, "history", None)
    if history is not None and hasattr(history, "model"):
        if history_filter is None:
            history_filter = {"id__in": list(queryset.values_list("pk", flat=True))}
        _redact_queryset(
            history.model.objects.filter(**history_filter), fields=fields, pattern=pattern, replacement=replacement
        )
    return changed


def _redact_queryset(
    queryset: models.QuerySet[Any], *, fields: Sequence[str], pattern: re.Pattern[str], replacement: str
) -> int:
    pk_name = queryset.model._meta.pk.attname
    rows = []
    for row in queryset.only(pk_name, *fields).iterator(chunk_size=500):
        dirty = False
        for name in fields:
            old = getattr(row, name)
            new = redact_value(old, pattern, replacement)
            if new != old:
                setattr(row, name, new)
                dirty = True
        if dirty:
            rows.append(row)
    if rows:
        queryset.model.objects.bulk_update(rows, list(fields), batch_size=500)
    return len(rows)


def history_rows(model: type[models.Model], pks: Iterable[int]) -> models.QuerySet[Any] | None:
    """The historical rows of ``model``'s objects ``pks``, or None if it keeps no history."""
    history = getattr(model, "history", None)
    if history is None or not hasattr(history, "model"):
        return None
    return history.model.objects.filter(id__in=list(pks))


def mentioning_rows(
    queryset: models.QuerySet[Any], *, fields: Sequence[str], pattern: re.Pattern[str] | None
) -> list[dict[str, Any]]:
    """For an export: ``{"id", *fields}`` of the rows whose ``fields`` mention the pattern."""
    if pattern is None:
        return []
    found = []
    for row in queryset.only(queryset.model._meta.pk.attname, *fields).order_by("pk").iterator(chunk_size=500):
        values = {name: getattr(row, name) for name in fields}
        if any(mentions(value, pattern) for value in values.values()):
            found.append({"id": row.pk, **values})
    return found
