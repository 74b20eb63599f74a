from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def hours(minutes: Any) -> str:
    """Minutes as hours with one decimal: 90 → "1.5"; 0 → "" (empty cells stay quiet)."""
    if not minutes:
        return ""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.1")))


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def status_class(status: str) -> str:
    return {"over": "text-bg-danger", "under": "text-bg-warning", "healthy": "text-bg-success"}.get(
        status, "text-bg-light"
    )


@register.filter
def team_figure(value: Any, kind: str) -> str:
    """A team-page figure by its column kind; "—" where there is no data."""
    if value is None:
        return "—"
    if kind == "percent":
        return f"{Decimal(value) * 100:.0f}%"
    if kind == "money":
        from core.formatting import money

        return money(value)
    return str(value)
