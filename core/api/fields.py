"""Serializer fields for ids sent in request bodies (see ``core.ids`` for why)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.ids import DB_ID_MAX


class IdField(serializers.IntegerField):
    """The id of a row: a whole number in 1..2**63-1, refused with the field named otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", DB_ID_MAX)
        super().__init__(**kwargs)


class IdListField(serializers.ListField):
    """A list of ids; each one checked like ``IdField``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", IdField())
        super().__init__(**kwargs)
