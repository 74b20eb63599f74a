"""Personal API tokens (DRF's one token per user): issue, show once, revoke."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_for(*, user: Any) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_issue(*, user: Any) -> str:
    """A new token for ``user``; any previous one stops working at once."""
    Token.objects.filter(user=user).delete()
    return str(Token.objects.create(user=user).key)


def api_token_revoke(*, user: Any) -> int:
    deleted, _by_model = Token.objects.filter(user=user).delete()
    return deleted
