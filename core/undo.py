"""Undo for bulk actions: what a bulk service changed, signed, for ten seconds.

A bulk service answers with a ``BulkOutcome``: how many rows it changed and, when the
action can be reversed, an undo token. The token is the rows' previous state signed
with the secret key (``django.core.signing``), bound to the person who acted and to
the action, and refused once ``UNDO_SECONDS`` (plus a little slack for the network)
have passed. Nothing is stored server-side; the undo service re-checks the scope and
restores only the rows still in the state the action left them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.types import AnyUser

UNDO_SECONDS = 10
# The button disappears after UNDO_SECONDS; a click just before that still counts.
_SLACK_SECONDS = 5
_SALT = "hourglass.bulk-undo"


@dataclass(frozen=True)
class BulkOutcome:
    count: int
    undo: str = ""  # the token for the undo service; empty when the action cannot be undone


def undo_token(*, actor: AnyUser, action: str, state: Any) -> str:
    return signing.dumps({"u": actor.pk, "a": action, "s": state}, salt=_SALT, compress=True)


def undo_state(*, actor: AnyUser, action: str, token: str) -> Any:
    """The state signed by ``undo_token`` for this actor and action, or a ValidationError."""
    try:
        data = signing.loads(token or "", salt=_SALT, max_age=UNDO_SECONDS + _SLACK_SECONDS)
    except signing.SignatureExpired as error:
        raise ValidationError({"undo": _("Too late to undo: the ten seconds are over.")}) from error
    except signing.BadSignature as error:
        raise ValidationError({"undo": _("This cannot be undone.")}) from error
    if not isinstance(data, dict) or data.get("u") != actor.pk or data.get("a") != action:
        raise ValidationError({"undo": _("This cannot be undone.")})
    return data.get("s")
