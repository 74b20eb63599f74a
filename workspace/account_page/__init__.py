"""The account page (account 360): summary header, work area in tabs, log a touch."""

from __future__ import annotations

from .views import account_detail_view, account_tab_view, account_timeline_view

__all__ = ["account_detail_view", "account_tab_view", "account_timeline_view"]
