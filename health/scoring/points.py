"""Points, colours and contributions of one account's inputs: pure, no queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from health.models import Colour, HealthModel

from .inputs import Inputs

# A contribution must move by at least this many score points to be listed.
CHANGE_THRESHOLD = 0.5
# Below this share of the model's weight present, there is no score ("not enough
# data"): an account we know nothing about except "no open risks" is not 100% healthy.
MIN_PRESENT_WEIGHT_SHARE = 1 / 3


def measure_fraction(*, value: float, green_at: float, red_at: float, direction: str) -> float:
    """0 at red, 1 at green, linear in between, clamped."""
    if green_at == red_at:
        meets = value >= green_at if direction == "higher" else value <= green_at
        return 1.0 if meets else 0.0
    return min(1.0, max(0.0, (value - red_at) / (green_at - red_at)))


def colour_for_fraction(fraction: float) -> str:
    if fraction >= 1.0:
        return Colour.GREEN
    return Colour.RED if fraction <= 0.0 else Colour.YELLOW


@dataclass(frozen=True)
class ScoreResult:
    score: int | None
    colour: str
    measures: list[dict[str, Any]]


def score_inputs(*, model: HealthModel, inputs: Inputs) -> ScoreResult:
    """Score one account's inputs with ``model`` (pure: no queries once measures are loaded)."""
    measures = list(model.measures.all())
    present = [m for m in measures if inputs.get(m.key) is not None and m.weight > 0]
    total_weight = sum(m.weight for m in present)
    enough = total_weight > 0 and total_weight >= sum(m.weight for m in measures) * MIN_PRESENT_WEIGHT_SHARE
    rows: list[dict[str, Any]] = []
    weighted = 0.0
    for measure in measures:
        value = inputs.get(measure.key)
        row: dict[str, Any] = {
            "key": measure.key,
            "group": measure.group,
            "weight": measure.weight,
            "value": value,
            "missing": value is None,
            "points": None,
            "colour": "",
            "contribution": None,
        }
        if value is not None:
            fraction = measure_fraction(
                value=value, green_at=measure.green_at, red_at=measure.red_at, direction=measure.direction
            )
            row["points"] = round(fraction * 100, 1)
            row["colour"] = colour_for_fraction(fraction)
            if enough:
                contribution = fraction * 100 * measure.weight / total_weight
                row["contribution"] = round(contribution, 2)
                weighted += contribution
        rows.append(row)
    if not enough:
        return ScoreResult(score=None, colour="", measures=rows)
    score = int(min(100, max(0, round(weighted))))
    if score >= model.green_at:
        colour = Colour.GREEN
    elif score < model.red_below:
        colour = Colour.RED
    else:
        colour = Colour.YELLOW
    return ScoreResult(score=score, colour=colour, measures=rows)


def score_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Measures whose contribution moved by at least half a point, biggest first."""
    old = {row["key"]: row for row in before}
    changes = []
    for row in after:
        previous = old.get(row["key"], {})
        delta = (row.get("contribution") or 0.0) - (previous.get("contribution") or 0.0)
        if abs(delta) < CHANGE_THRESHOLD:
            continue
        changes.append(
            {
                "key": row["key"],
                "weight": row["weight"],
                "before": previous.get("value"),
                "after": row.get("value"),
                "delta": round(delta, 1),
            }
        )
    return sorted(changes, key=lambda change: (-abs(change["delta"]), change["key"]))
