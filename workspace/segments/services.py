"""Writes of saved segments that need the book's filter: save (with its members at once)
and give a segment the book's current filter. The rest is ``accounts.saved_segments``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import SavedSegment, SegmentKind
from accounts.saved_segments import segment_create, segment_update
from core.types import AnyUser

from .filters import segment_filter_check
from .refresh import segment_refresh


@transaction.atomic
def segment_save(
    *, actor: AnyUser, name: str, kind: str = SegmentKind.DYNAMIC, shared: bool = False, filters: Any = None
) -> SavedSegment:
    """A new segment of the book's filter ``filters`` (checked as the book does), its
    members computed before the answer, so the sidebar count is right at once."""
    checked = segment_filter_check(filters or {}, user=actor) if kind == SegmentKind.DYNAMIC else {}
    segment = segment_create(actor=actor, name=name, kind=kind, shared=shared, filters=checked)
    segment_refresh(segment=segment)
    return segment


@transaction.atomic
def segment_change(
    *, actor: AnyUser, segment: SavedSegment, name: str | None = None, shared: bool | None = None, filters: Any = None
) -> SavedSegment:
    """Rename, share/unshare, or a new filter (checked, members refreshed)."""
    checked = None if filters is None else segment_filter_check(filters, user=actor)
    segment = segment_update(actor=actor, segment=segment, name=name, shared=shared, filters=checked)
    if checked is not None:
        segment_refresh(segment=segment)
    return segment
