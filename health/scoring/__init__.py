"""Health scores: every input computed set-based per chunk of accounts, then scored.

Inputs (for a day ``D``, usage windows ending on ``D``)
------------------------------------------------------
- ``activity_rate_7d`` / ``_30d``: average daily active users over the window as a
  share of licensed seats (sum of the account's purchased products' seats). Rollups
  count users per day, not distinct users over a window, hence the daily average.
  Missing when the account has no seats on file or has never sent usage.
- ``depth``: share of the model's key (north-star) features used in the last 30
  days. Missing when the model names none, or the account never sent usage.
- ``process_embedding``: share of the model's configured core-workflow events (e.g.
  ``approval.completed``: a business process run in the product) present in the last
  30 days. Missing when the model configures none, or the account never sent usage.
- ``executive_usage``: share of active S-tier stakeholders with a touchpoint in the
  last 30 days (their own product use is out of reach). Missing without any.
- ``contact_recency``: days since the last touchpoint. Missing when never contacted.
- ``nps``: NPS of the last ``HOURGLASS_HEALTH_NPS_DAYS`` days. Missing without answers.
- ``open_risks``: open risk flags + broken or overdue open sales promises (0 is real).

Scoring
-------
Each measure earns 0 points at its ``red_at`` value and 100 at ``green_at``, linear in
between and clamped. The score is the weighted average of the points of the measures
that have a value: a missing measure is left out and the other weights renormalised,
and it is shown as missing — never counted as zero. With less than a third of the
model's weight present there is no score at all (``None``, shown as "not enough
data"). A measure's *contribution* is
its share of the score (weight / total weight present × points), so contributions
add up to the score; the explanation lists the measures whose contribution moved.

The package, by role: ``inputs`` queries the raw values, ``points`` scores them,
``explanations`` puts changes into words, ``compute`` writes a day's scores; the
fan-out over Celery lives beside its tasks (``health.tasks``), the default model's
seeding in ``health.services``.
"""

from __future__ import annotations

from .compute import accounts_with_new_data, health_models_by_segment, health_scores_compute, model_for_segment
from .explanations import explain_change, explain_changes, format_value, measure_label
from .inputs import Inputs, measure_inputs
from .points import (
    CHANGE_THRESHOLD,
    MIN_PRESENT_WEIGHT_SHARE,
    ScoreResult,
    colour_for_fraction,
    measure_fraction,
    score_changes,
    score_inputs,
)

__all__ = [
    "CHANGE_THRESHOLD",
    "MIN_PRESENT_WEIGHT_SHARE",
    "Inputs",
    "ScoreResult",
    "accounts_with_new_data",
    "colour_for_fraction",
    "explain_change",
    "explain_changes",
    "format_value",
    "health_models_by_segment",
    "health_scores_compute",
    "measure_fraction",
    "measure_inputs",
    "measure_label",
    "model_for_segment",
    "score_changes",
    "score_inputs",
]
