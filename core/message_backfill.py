"""Back-filling message keys of rows written before texts were stored as keys.

A migration proposes a message for an old row from what the row still holds (its
``data``, related rows, the dates in its title); the message is kept only if it renders
back to the stored text in one of the site's languages — so a name changed since, or a
title written by an older wording, keeps its stored text rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation

from .messages import Message, lines_render, message_fields, message_lines

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BATCH_SIZE = 1000

# For a row: (title message, body lines) or None when nothing can be proposed.
Proposal = tuple[Message | None, Sequence[Message]]


def renders_to(note: Message | None, stored: str) -> bool:
    """Does ``note`` render as ``stored`` in one of the site's languages?"""
    if note is None:
        return False
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if note.render() == stored:
                return True
    return False


def lines_render_to(lines: Sequence[Message], stored: str) -> bool:
    if not lines:
        return False
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if lines_render(lines) == stored:
                return True
    return False


def dates_in(text: str) -> list[str]:
    return ISO_DATE.findall(text or "")


def backfill(
    rows: Iterable[Any],
    *,
    model: type[models.Model],
    propose: Callable[[Any], Proposal | None],
    title_field: str = "title",
    body_field: str | None = "body",
    key_field: str = "message_key",
    params_field: str = "message_params",
    lines_field: str | None = "body_messages",
) -> int:
    """Write the verified messages of ``rows`` (bulk updates); returns rows changed."""
    changed: list[Any] = []
    fields: set[str] = set()
    count = 0
    for row in rows:
        proposal = propose(row)
        if proposal is None:
            continue
        note, lines = proposal
        dirty = False
        if note is not None and renders_to(note, getattr(row, title_field)):
            key, params = message_fields(note)
            if key:
                setattr(row, key_field, key)
                setattr(row, params_field, params)
                fields.update({key_field, params_field})
                dirty = True
        if lines and body_field and lines_field and lines_render_to(lines, getattr(row, body_field)):
            setattr(row, lines_field, message_lines(lines))
            fields.add(lines_field)
            dirty = True
        if dirty:
            changed.append(row)
            count += 1
        if len(changed) >= BATCH_SIZE:
            model._default_manager.bulk_update(changed, sorted(fields))
            changed = []
    if changed:
        model._default_manager.bulk_update(changed, sorted(fields))
    return count
