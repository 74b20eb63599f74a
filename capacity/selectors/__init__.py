"""Reads for the capacity pages and API: books of business, load, planner, triggers.

Everything here runs a fixed number of queries whatever the number of CSMs or
accounts (set-based aggregates, then arithmetic in ``capacity.arithmetic``).
Scope: a CSM sees their own book, a manager their team's, an admin everyone's
(``accounts.selectors.assignable_owners`` and ``account_scope`` apply the rule).

``config``: settings, preset, ratios and measured hours; ``books``: the team's books;
``planner``: the planner and the hiring triggers; ``time_entries``: time logging.
"""

from __future__ import annotations

from .books import CsmBook, Slice, TeamBooks, book_of_business, finding_text, sort_books, visible_people
from .config import CapacityConfig, SegmentHours, capacity_config, hours_by_segment, local, usd_to_local
from .planner import Plan, Recommendation, hiring_recommendations, plan
from .time_entries import Timesheet, TimesheetRow, get_own_time_entry, time_entry_scope, timesheet, week_start

__all__ = [
    "CapacityConfig",
    "CsmBook",
    "Plan",
    "Recommendation",
    "SegmentHours",
    "Slice",
    "TeamBooks",
    "Timesheet",
    "TimesheetRow",
    "book_of_business",
    "capacity_config",
    "finding_text",
    "get_own_time_entry",
    "hiring_recommendations",
    "hours_by_segment",
    "local",
    "plan",
    "sort_books",
    "time_entry_scope",
    "timesheet",
    "usd_to_local",
    "visible_people",
    "week_start",
]
