"""Display formats shared by templates (as filters) and by views that prepare rows in Python."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# Where the deployment's currency is read: ``org`` registers its settings reader at start-up
# (core imports no app); ``HOURGLASS_CURRENCY`` until then.
_currency_sources: list[Callable[[], str]] = []


def currency_source_register(source: Callable[[], str]) -> None:
    _currency_sources[:] = [source]


def deployment_currency() -> str:
    return _currency_sources[0]() if _currency_sources else str(settings.HOURGLASS_CURRENCY)


def money(value: Any) -> str:
    """``1234567.8`` → ``¥1,234,568`` in the deployment's currency."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    currency = deployment_currency()
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{amount:,.0f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
