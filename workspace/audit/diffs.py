"""What a history row changed: field (verbose name, translated), old value → new value.

Rows are compared with simple_history's ``diff_against`` against the object's previous
history row (fetched for the whole page at once by the selector). Values are shown as a
reader sees them: choice labels, people's names (resolved for the page in one query),
``#id`` for other links; secrets are never shown.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from core.people import display_name
from playbooks.defaults import DEFAULT_PLAYBOOKS

from .registry import AuditedModel, field_of

# Never shown, only "changed": a password hash is not for reading.
SECRET_FIELDS = {"password"}
# Moves on every sign-in: not a change anyone made.
IGNORED_FIELDS = {"last_login"}
MAX_TEXT = 300


@dataclass
class FieldChange:
    field: str  # the field's name
    label: str
    old: Any
    new: Any
    old_known: bool = True
    old_text: str = ""
    new_text: str = ""


def _choice_label(field: Any, value: Any) -> str | None:
    choices = getattr(field, "flatchoices", None) or []
    for key, label in choices:
        if key == value:
            return str(label)
    return None


def _plain(value: Any, limit: int) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else str(value)
    text = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.cache
def builtin_texts() -> frozenset[str]:
    """The built-in playbooks' texts: stored in English, shown in the reader's language
    (as ``Playbook.display_name`` and the task pages show them); an admin's own wording
    is shown as typed."""
    texts: set[str] = set()
    for spec in DEFAULT_PLAYBOOKS:
        texts |= {spec["name"], spec.get("description", "")}
        for item in spec["steps"]:
            texts |= {item["title"], item.get("description", ""), *item.get("checklist", [])}
    return frozenset(texts - {""})


def builtin_translated(value: Any) -> Any:
    """A built-in text (or a checklist of them) in the active language; anything else as is."""
    if isinstance(value, str):
        return gettext(value) if value in builtin_texts() else value
    if isinstance(value, list):
        return [builtin_translated(item) for item in value]
    if isinstance(value, dict) and isinstance(value.get("text"), str):  # a task's checklist item
        return {**value, "text": builtin_translated(value["text"])}
    return value


def format_value(field: Any, value: Any, people: dict[int, str], limit: int = MAX_TEXT) -> str:
    if field is not None and field.name in SECRET_FIELDS:
        return "••••••"
    if value is None or value == "":
        return "—"
    label = _choice_label(field, value) if field is not None else None
    if label is not None:
        return label
    if field is not None and field.is_relation:
        if field.related_model is get_user_model():
            return people.get(value, f"#{value}")
        return f"#{value}"
    return _plain(builtin_translated(value), limit)


def _label(audited: AuditedModel, name: str) -> str:
    field = field_of(audited, name)
    if field is None:
        return name
    if isinstance(field.verbose_name, str):
        # No verbose_name given: Django's default from the name ("account"), which the
        # catalogue may well know ("Account" → 客户); otherwise it stays as it is.
        return gettext(str(capfirst(field.verbose_name)))
    return str(capfirst(field.verbose_name))


def _tracked(row: Any) -> list[Any]:
    return [f for f in row.tracked_fields if f.editable and f.name not in IGNORED_FIELDS]


def changes_of(audited: AuditedModel, row: Any, previous: Any | None) -> list[FieldChange]:
    """The fields this row changed (against ``previous``), or its recorded values."""
    if previous is not None and row.history_type != "-":
        delta = row.diff_against(previous, excluded_fields=IGNORED_FIELDS)
        return [FieldChange(field=c.field, label=_label(audited, c.field), old=c.old, new=c.new) for c in delta.changes]
    if row.history_type == "-":
        return []
    # Created, or the first row kept of an object: what it held then.
    found = []
    for field in _tracked(row):
        value = getattr(row, field.attname)
        if value in (None, "", [], {}) or field.primary_key:
            continue
        found.append(
            FieldChange(
                field=field.name,
                label=_label(audited, field.name),
                old=None,
                new=value,
                old_known=row.history_type == "+",
            )
        )
    return found


def people_ids(audited: AuditedModel, changes: Iterable[FieldChange]) -> set[int]:
    ids: set[int] = set()
    for change in changes:
        field = field_of(audited, change.field)
        if field is not None and field.is_relation and field.related_model is get_user_model():
            ids |= {value for value in (change.old, change.new) if isinstance(value, int)}
    return ids


def people_names(ids: set[int]) -> dict[int, str]:
    """Names of the people linked in a page's changes: one query."""
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).only("pk", "first_name", "last_name", "username")
    return {user.pk: display_name(user) for user in users}


def render_changes(audited: AuditedModel, changes: list[FieldChange], people: dict[int, str], limit: int) -> None:
    for change in changes:
        field = field_of(audited, change.field)
        change.old_text = format_value(field, change.old, people, limit) if change.old_known else "?"
        change.new_text = format_value(field, change.new, people, limit)
