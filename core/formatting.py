"""Display formats shared by templates (as filters) and by views that prepare rows in Python."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value: Any) -> str:
    """``1234567.8`` → ``¥1,234,568`` in the deployment's currency."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    currency = settings.HOURGLASS_CURRENCY
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{amount:,.0f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
