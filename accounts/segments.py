"""Customer segments, derived from ARR by configurable bands (domain.md §6, seed 001).

The bands are an operations setting (``/settings/segments/``; ``HOURGLASS_SEGMENT_BANDS``
seeds them), so the segment is never stored: it is computed in Python for one account
and in SQL for lists, from the same bands — a change of the bands re-segments at once.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Case, Value, When
from django.utils.translation import gettext_lazy as _

from org.operations_settings import operations_settings


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise (high touch)")
    MID_MARKET = "mid_market", _("Mid-market (proactive)")
    SMB = "smb", _("SMB (onboarding focus)")
    TECH_TOUCH = "tech_touch", _("Tech touch (automated)")


def segment_bands() -> list[tuple[str, Decimal]]:
    """``(segment, lower bound)`` pairs, highest bound first."""
    bands = operations_settings().segment_bands
    unknown = set(bands) - set(Segment.values)
    if unknown:
        raise ValueError(f"the segment bands name unknown segments: {sorted(unknown)}")
    return sorted(((key, Decimal(value)) for key, value in bands.items()), key=lambda b: -b[1])


def segment_for_arr(arr: Decimal | int | None, *, bands: list[tuple[str, Decimal]] | None = None) -> str:
    """The segment of one ARR; pass ``bands`` (``segment_bands()``) when classifying many."""
    amount = Decimal(arr or 0)
    bands = bands or segment_bands()
    for key, lower in bands:
        if amount >= lower:
            return key
    return bands[-1][0]


def segment_case(field: str = "arr") -> Case:
    """SQL expression giving the segment of each row, the same as ``segment_for_arr``."""
    bands = segment_bands()
    return Case(
        *[When(**{f"{field}__gte": lower}, then=Value(key)) for key, lower in bands],
        default=Value(bands[-1][0]),
        output_field=models.CharField(),
    )


def arr_range_for_segment(segment: str) -> tuple[Decimal | None, Decimal | None]:
    """``(min inclusive, max exclusive)`` ARR of a segment, so filters can use an index."""
    bands = segment_bands()
    for index, (key, lower) in enumerate(bands):
        if key == segment:
            upper = bands[index - 1][1] if index > 0 else None
            is_lowest = index == len(bands) - 1
            return (None if is_lowest else lower), upper
    raise ValueError(f"unknown segment {segment!r}")


__all__ = [
    "Segment",
    "arr_range_for_segment",
    "segment_bands",
    "segment_case",
    "segment_for_arr",
]
