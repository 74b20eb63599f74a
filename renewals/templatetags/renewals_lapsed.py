"""Lapsed renewals on the pages that show renewals: the lapsed ARR figure and "N days ago"."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import QuerySet

from renewals.lapsed import LapsedSummary, lapsed_days, lapsed_summary
from renewals.models import RenewalOpportunity

register = template.Library()


@register.simple_tag
def lapsed_figure(renewals: QuerySet[RenewalOpportunity]) -> LapsedSummary:
    """``{% lapsed_figure page.paginator.object_list as lapsed %}``: one aggregate query
    over the renewals the page lists (its scope and filters)."""
    return lapsed_summary(renewals=renewals)


@register.filter
def days_since_due(renewal: Any) -> int:
    return lapsed_days(renewal)
