"""Serializer fields for ids sent in request bodies (see ``core.ids`` for why)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
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


class CodeRelatedField(serializers.SlugRelatedField):
    """A row named by a code (a churn reason, an activity type): the lookup bounds what
    is accepted, and the schema says how long a code can be."""


class CodeRelatedFieldSchema(OpenApiSerializerFieldExtension):
    target_class = CodeRelatedField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        length = field.get_queryset().model._meta.get_field(field.slug_field).max_length
        return {"type": "string", "maxLength": length}
