"""Health-score changes in words, in the active language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from health.models import MeasureKey


def format_value(key: str, value: float | None) -> str:
    """A measure's value as people read it, in the active language."""
    if value is None:
        return _("missing")
    if key in (
        MeasureKey.ACTIVITY_RATE_7D,
        MeasureKey.ACTIVITY_RATE_30D,
        MeasureKey.DEPTH,
        MeasureKey.PROCESS_EMBEDDING,
        MeasureKey.EXECUTIVE_USAGE,
    ):
        return f"{value * 100:.0f}%"
    if key == MeasureKey.CONTACT_RECENCY:
        return _("%(days)d days") % {"days": round(value)}
    if key == MeasureKey.NPS:
        return f"{value:+.0f}" if value else "0"
    return f"{value:.0f}"


def measure_label(key: str) -> str:
    try:
        return str(MeasureKey(key).label)
    except ValueError:
        return key


def explain_change(change: dict[str, Any]) -> str:
    """``"−12: Activity rate (7 days) 71% → 38% (weight 30)"``."""
    delta = round(change["delta"])
    sign = "+" if delta > 0 else "\u2212" if delta < 0 else "±"
    return _("%(sign)s%(points)d: %(measure)s %(before)s → %(after)s (weight %(weight)d)") % {
        "sign": sign,
        "points": abs(delta),
        "measure": measure_label(change["key"]),
        "before": format_value(change["key"], change["before"]),
        "after": format_value(change["key"], change["after"]),
        "weight": change["weight"],
    }


def explain_changes(changes: Iterable[dict[str, Any]]) -> list[str]:
    return [explain_change(change) for change in changes]
