"""JSON parsing that answers 400, not 500, for JSON nested too deeply.

``json.loads`` raises RecursionError on ~1,000 levels of ``[[[...]]]``; anything
deeper than ``MAX_DEPTH`` is refused too, so that later code (serializers, JSON
fields) never recurses through it either.
"""

from __future__ import annotations

import json
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.utils import json as drf_json

MAX_DEPTH = 64


class TooDeep(ValueError):
    pass


def too_deep_error() -> ParseError:
    return ParseError(_("Invalid JSON: nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH})


def exceeds_depth(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists/objects more than ``limit`` deep (iterative, stops early)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(text: str, *, check_depth: bool = True, **options: Any) -> Any:
    """``json.loads`` raising ``TooDeep`` (a ValueError) for nesting it or we refuse.

    The depth walk runs only when the text holds more brackets than the limit, which a
    plain JSON body rarely does; callers parsing many records may skip it.
    """
    try:
        data = json.loads(text, **options)
    except RecursionError as exc:
        raise TooDeep from exc
    if check_depth and text.count("[") + text.count("{") > MAX_DEPTH and exceeds_depth(data):
        raise TooDeep
    return data


class JSONParser(DRFJSONParser):
    """DRF's JSON parser, with too-deep nesting a 400 ``ParseError``."""

    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return loads(text, parse_constant=parse_constant)
        except TooDeep as exc:
            raise too_deep_error() from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
