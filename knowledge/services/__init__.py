"""Writes of the knowledge app: cases, product feedback and adoption campaigns."""

from __future__ import annotations

from .campaigns import (
    CAMPAIGN_FIELDS,
    campaign_close,
    campaign_create,
    campaign_launch,
    campaign_stall_sweep,
    campaign_targets,
)
from .cases import (
    CASE_FIELDS,
    case_create,
    case_review,
    case_share,
    case_submit,
    case_update,
    company_size_set,
)
from .common import clean_products
from .feedback import feedback_merge, feedback_raise, feedback_set_status

__all__ = [
    "CAMPAIGN_FIELDS",
    "CASE_FIELDS",
    "campaign_close",
    "campaign_create",
    "campaign_launch",
    "campaign_stall_sweep",
    "campaign_targets",
    "case_create",
    "case_review",
    "case_share",
    "case_submit",
    "case_update",
    "clean_products",
    "company_size_set",
    "feedback_merge",
    "feedback_raise",
    "feedback_set_status",
]
