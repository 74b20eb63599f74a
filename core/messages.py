"""Generated text stored as a message key and its parameters, rendered when it is read.

A row the system writes (a timeline entry, a notification) keeps the English msgid of
its sentence as ``message_key`` and the values to fill in as ``message_params``; a page
or the API renders it in the reader's language (``gettext(key) % params``). There is no
registry: writers mark the key with ``gettext_noop`` (a keyword ``makemessages`` knows,
so the sentence reaches the catalogue) and the catalogue is the only lookup::

    note = message(gettext_noop("Renewal due %(date)s marked at risk"), date="2026-03-31")
    note.render()  # "2026-03-31 到期的续约已标记为有风险" under zh-hans

Parameters that are words of the UI themselves are stored as stable codes, never as
text in the writer's language, and turned into the reader's words on rendering:

- ``choice(Model, "field", code)`` renders the label of ``code`` in the field's choices
  (found through Django's app registry, so ``core`` imports no app);
- ``word(gettext_noop("nobody"))`` renders the translation of a msgid.

Rendering never fails: an unknown or malformed key, a parameter the sentence (or its
translation) does not have, or a broken parameter falls back to the text stored when
the row was written (``title``), so a reader never sees a 500 nor a raw ``%(name)s``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

Params = dict[str, Any]
# Longest key a row can store (``message_key`` columns): longer sentences are not keyed.
KEY_MAX_LENGTH = 300


@dataclass(frozen=True)
class Message:
    """One sentence: an English msgid (marked with ``gettext_noop``) and its values."""

    key: str
    params: Params = field(default_factory=dict)

    def render(self, fallback: str = "") -> str:
        """The sentence in the active language (``fallback`` when it cannot be rendered)."""
        return message_render(self.key, self.params, fallback=fallback)

    def __str__(self) -> str:
        return self.render()


def message(key: str, /, **params: Any) -> Message:
    """A message to store: ``key`` is the msgid itself, ``params`` JSON-able values,
    ``choice()`` or ``word()``."""
    return Message(key=key, params=params)


def choice(model: type[models.Model], field_name: str, code: Any) -> Params:
    """A parameter shown as the label of ``code`` in ``model.field_name``'s choices."""
    return {"choice": f"{model._meta.label}.{field_name}", "value": code}


def word(msgid: str) -> Params:
    """A parameter that is a translatable word (a msgid marked with ``gettext_noop``)."""
    return {"msgid": msgid}


@lru_cache(maxsize=256)
def _choice_labels(path: str) -> dict[Any, Any]:
    """``{code: lazy label}`` of a model field named ``app_label.Model.field``."""
    app_label, model_name, field_name = path.split(".")
    return dict(apps.get_model(app_label, model_name)._meta.get_field(field_name).flatchoices)


def _param(value: Any) -> Any:
    if isinstance(value, dict):
        if "choice" in value:
            code = value.get("value")
            try:
                label = _choice_labels(str(value["choice"])).get(code, code)
            except (LookupError, ValueError, TypeError):  # a model or field that went away
                label = code
            return "" if label is None else force_str(label)
        if "msgid" in value:
            return gettext(str(value["msgid"]))
        raise TypeError("a parameter dict needs 'choice' or 'msgid'")
    if isinstance(value, list | tuple):
        return ", ".join(str(_param(item)) for item in value)
    return value


def message_render(key: str, params: Mapping[str, Any] | None, *, fallback: str = "") -> str:
    """``gettext(key) % params`` in the active language, or ``fallback`` if that fails."""
    if not key:
        return fallback
    params = params or {}
    try:
        if not isinstance(params, Mapping):
            raise TypeError("params must be a mapping")
        template = gettext(key)
        if not params:
            # A sentence without values keeps a lone "%" as it is (Django's rule for
            # msgids without placeholders); one that expects values cannot be shown.
            if "%(" in template:
                raise KeyError("no values for the placeholders")
            return template
        return template % {name: _param(value) for name, value in params.items()}
    except (KeyError, TypeError, ValueError) as error:
        logger.info("message %r could not be rendered (%s); showing the stored text", key[:80], error)
        return fallback


def messages_render(lines: Sequence[Any] | None, *, fallback: str = "") -> str:
    """Lines stored as ``[{"key": …, "params": …}, …]`` joined by newlines, or ``fallback``
    when any of them cannot be rendered (never half a text)."""
    if not lines:
        return fallback
    rendered = []
    for line in lines:
        if not isinstance(line, Mapping):
            return fallback
        text = message_render(str(line.get("key") or ""), line.get("params"), fallback="")
        if not text:
            return fallback
        rendered.append(text)
    return "\n".join(rendered)


def message_fields(note: Message | None) -> tuple[str, Params]:
    """``(message_key, message_params)`` of a row; empty when the text is not keyed."""
    if note is None or len(note.key) > KEY_MAX_LENGTH:
        return "", {}
    return note.key, dict(note.params)


def message_lines(notes: Sequence[Message] | None) -> list[Params]:
    """The JSON of a body written as one or more messages (``messages_render`` reads it)."""
    return [{"key": note.key, "params": dict(note.params)} for note in notes or ()]


def lines_render(notes: Sequence[Message]) -> str:
    """The body ``message_lines(notes)`` stands for, in the active language."""
    return "\n".join(note.render() for note in notes)
