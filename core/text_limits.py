"""How long a text a person may type: one limit per kind of text, used by the models,
forms and API serializers alike (a TextField's ``max_length`` is what its ModelForm and
ModelSerializer check; the database column stays unbounded).

Text written by the system (email bodies, tracebacks, rejected CSV rows) is not typed by
anyone and has no limit here.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxLengthValidator

# A comment, a note, a reason, a review remark: a few sentences.
NOTE_MAX_LENGTH = 2_000
# A body of prose: a touchpoint summary, a dossier section, a case's sections.
TEXT_MAX_LENGTH = 10_000
# A single-line list (product names, event names separated by commas).
LIST_MAX_LENGTH = 1_000


def text_limit(length: int) -> dict[str, Any]:
    """A model TextField's arguments for a limit: ``max_length`` bounds its form and API
    fields, the validator its ``full_clean`` (Django checks a TextField's length only in
    forms)."""
    return {"max_length": length, "validators": [MaxLengthValidator(length)]}
