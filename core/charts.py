"""Chart specifications: the server decides what a chart shows, the browser draws it.

A view builds a spec with :func:`line_chart` or :func:`bar_chart` and a template renders
it with ``{% chart spec %}`` (``core/templatetags/hourglass.py``): a ``<canvas>`` plus the
spec as a JSON data block, which ``static/js/charts.js`` hands to the vendored Chart.js.
No inline script or style, so the strict Content-Security-Policy holds. Every chart
also carries a text summary (``aria-label``) so it is readable without the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

# Colour names the browser side maps to the Hourglass palette (static/js/charts.js).
Colour = Literal["blue", "green", "yellow", "red", "grey", "teal", "purple", "orange"]
Number = int | float | Decimal | None


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Number]
    colour: Colour | None = None
    # For bar charts mixed with a line (e.g. forecast bars with a target line).
    kind: Literal["line", "bar"] | None = None
    dashed: bool = False


@dataclass(frozen=True)
class ChartSpec:
    kind: Literal["line", "bar"]
    title: str
    labels: list[str]
    series: list[Series]
    stacked: bool = False
    y_min: float | None = None
    y_max: float | None = None
    # "percent" shows 0.25 as 25%; "money" groups thousands; "" plain numbers.
    y_format: Literal["", "percent", "money"] = ""
    # Optional link per label (a click on a bar/point opens the list behind it).
    links: list[str] = field(default_factory=list)
    height: Literal["sm", "md", "lg"] = "md"
    # Axis titles (translated by the caller); empty: no title on that axis.
    x_title: str = ""
    y_title: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "labels": list(self.labels),
            "series": [
                {
                    "label": s.label,
                    "values": [None if v is None else float(v) for v in s.values],
                    "colour": s.colour,
                    "kind": s.kind,
                    "dashed": s.dashed,
                }
                for s in self.series
            ],
            "stacked": self.stacked,
            "yMin": self.y_min,
            "yMax": self.y_max,
            "yFormat": self.y_format,
            "links": list(self.links),
            "xTitle": self.x_title,
            "yTitle": self.y_title,
        }

    def summary(self) -> str:
        """A one-line text alternative: each series' first and last value."""
        parts = []
        for s in self.series:
            known = [v for v in s.values if v is not None]
            if known:
                parts.append(f"{s.label}: {_fmt(known[0], self.y_format)} → {_fmt(known[-1], self.y_format)}")
        span = f"{self.labels[0]} – {self.labels[-1]}" if self.labels else ""
        return f"{self.title} ({span}): " + "; ".join(parts) if parts else str(self.title)


def _fmt(value: Number, y_format: str) -> str:
    number = float(value or 0)
    if y_format == "percent":
        return f"{number * 100:.0f}%"
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:g}"


def line_chart(title: str, labels: Sequence[Any], series: Sequence[Series], **options: Any) -> ChartSpec:
    return ChartSpec("line", title, [str(label) for label in labels], list(series), **options)


def bar_chart(title: str, labels: Sequence[Any], series: Sequence[Series], **options: Any) -> ChartSpec:
    return ChartSpec("bar", title, [str(label) for label in labels], list(series), **options)
