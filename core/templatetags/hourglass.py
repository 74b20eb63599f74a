from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


@register.filter
def money(value: Any) -> str:
    """``1234567.8`` → ``¥1,234,568`` in the deployment's currency."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    currency = settings.HOURGLASS_CURRENCY
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{amount:,.0f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@register.simple_tag
def currency_code() -> str:
    return str(settings.HOURGLASS_CURRENCY)


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, field: str) -> str:
    """The ``ordering`` value a column header should link to (toggles asc/desc)."""
    current = context["request"].GET.get("ordering", "")
    return f"-{field}" if current == field else field
