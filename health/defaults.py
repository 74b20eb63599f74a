"""The default health model, seeded by migration and re-created if it is ever missing.

Weights are relative (the score renormalises over the measures present). Rates are
shares (0.5 = 50%); contact recency is in days; NPS runs from -100 to 100; open risks
is a count.
"""

from __future__ import annotations

DEFAULT_MODEL_NAME = "Default health model"

# key, group, weight, green_at, red_at, direction
DEFAULT_MEASURES: list[tuple[str, str, int, float, float, str]] = [
    ("activity_rate_7d", "CO", 20, 0.5, 0.2, "higher"),
    ("activity_rate_30d", "CO", 15, 0.5, 0.2, "higher"),
    ("depth", "CO", 15, 0.8, 0.3, "higher"),
    ("process_embedding", "CO", 10, 0.75, 0.25, "higher"),
    ("executive_usage", "CS", 15, 0.8, 0.2, "higher"),
    ("contact_recency", "CS", 10, 14, 60, "lower"),
    ("nps", "CX", 15, 50, 0, "higher"),
    ("open_risks", "CX", 10, 0, 3, "lower"),
]
