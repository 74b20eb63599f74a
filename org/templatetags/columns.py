"""``{% column_classes "book" %}``: the table's hidden columns as CSS classes (org.columns)."""

from __future__ import annotations

from typing import Any

from django import template

from org.columns import hidden_columns

register = template.Library()


@register.simple_tag(takes_context=True)
def column_classes(context: Any, table: str) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return ""
    return " ".join(f"hg-hide-{key}" for key in hidden_columns(user=user, table=table, request=request))
