"""Models of the ``accounts`` app, one module per concern, re-exported here."""

from __future__ import annotations

from .account import Account, AccountStatus, IcpFit, Industry
from .risk import RiskFlag, RiskKind
from .stakeholders import KeyPersonLevel, RelationshipStage, Stakeholder, Tier
from .timeline import TimelineEntry, TouchpointKind

__all__ = [
    "Account",
    "AccountStatus",
    "IcpFit",
    "Industry",
    "KeyPersonLevel",
    "RelationshipStage",
    "RiskFlag",
    "RiskKind",
    "Stakeholder",
    "Tier",
    "TimelineEntry",
    "TouchpointKind",
]
