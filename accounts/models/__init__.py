"""Models of the ``accounts`` app, one module per concern, re-exported here."""

from __future__ import annotations

from .account import Account, AccountStatus, IcpFit, Industry
from .cadence import ContactCadence
from .dossier import (
    STRUCTURED_SECTIONS,
    CustomerProcess,
    DossierReview,
    DossierReviewRating,
    DossierSection,
    MajorEvent,
    ProcessKind,
    PromiseStatus,
    PurchasedProduct,
    SalesPromise,
    SectionKey,
    Verdict,
)
from .imports import ImportKind, ImportRun
from .privacy import ErasureRecord
from .risk import RiskFlag, RiskKind
from .saved_segments import SavedSegment, SegmentKind, SegmentMember
from .stakeholders import KeyPersonLevel, RelationshipStage, Stakeholder, Tier
from .timeline import TimelineEntry, TouchpointKind

__all__ = [
    "STRUCTURED_SECTIONS",
    "Account",
    "AccountStatus",
    "ContactCadence",
    "CustomerProcess",
    "DossierReview",
    "DossierReviewRating",
    "DossierSection",
    "ErasureRecord",
    "IcpFit",
    "ImportKind",
    "ImportRun",
    "Industry",
    "KeyPersonLevel",
    "MajorEvent",
    "ProcessKind",
    "PromiseStatus",
    "PurchasedProduct",
    "RelationshipStage",
    "RiskFlag",
    "RiskKind",
    "SalesPromise",
    "SavedSegment",
    "SectionKey",
    "SegmentKind",
    "SegmentMember",
    "Stakeholder",
    "Tier",
    "TimelineEntry",
    "TouchpointKind",
    "Verdict",
]
