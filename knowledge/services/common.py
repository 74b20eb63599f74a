"""What the knowledge services share: links in notifications, lists of names."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse


def absolute_link(name: str, pk: int) -> str:
    """Absolute: notifications are read in emails too."""
    return settings.HOURGLASS_BASE_URL.rstrip("/") + reverse(name, kwargs={"pk": pk})


def clean_products(products: Sequence[str] | str) -> list[str]:
    """Distinct product names, in the order given (a comma-separated string works too)."""
    items = products.split(",") if isinstance(products, str) else list(products)
    seen: dict[str, str] = {}
    for item in items:
        name = str(item).strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name[:100]
    return list(seen.values())
