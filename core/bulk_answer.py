"""The answer of a bulk bar: its result line (htmx) or a redirect with a message.

An htmx request gets ``partials/_bulk_result.html`` — the count done, or the error
naming the row or field, and the "Undo" button with its token — plus the
``hg-list-changed`` event that makes ``static/js/lists.js`` reload the list. A plain
form post (no JavaScript) is sent back to the list with the same text as a message.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.undo import UNDO_SECONDS


def form_error_text(form: forms.Form) -> str:
    """The form's errors in one line, each after its field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)


def error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(str(m) for values in error.message_dict.values() for m in values)
    return " ".join(error.messages)


def bulk_answer(
    request: HttpRequest,
    *,
    text: str = "",
    error: str = "",
    undo: str = "",
    undo_url: str = "",
    undo_what: str = "",
    back: str = "",
) -> HttpResponse:
    """The result line of a bulk bar (htmx), or a redirect with a message (a plain post)."""
    if not getattr(request, "htmx", False):
        (messages.error if error else messages.success)(request, error or text)
        return redirect(back)
    context = {
        "text": text,
        "error": error,
        "undo": undo,
        "undo_url": undo_url,
        "undo_what": undo_what,
        "undo_seconds": UNDO_SECONDS,
    }
    response = render(request, "partials/_bulk_result.html", context)
    if not error:
        response["HX-Trigger"] = "hg-list-changed"
    return response
