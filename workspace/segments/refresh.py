"""The members of dynamic saved segments, kept by the book's filter.

``segment_refresh``: the diff between the filter's accounts and the stored members in
SQL (two ``NOT IN`` subqueries), then one insert and one delete
(``accounts.saved_segments.segment_members_apply``): a constant number of queries per
segment whatever its size. Run on save and by the beat job ``segments_refresh_task``
(days to renewal, last touch and health move with the date). A filter that no longer
validates (a choice removed since) disables the segment with the parameters' names;
the sweep goes on with the next one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from accounts.models import SavedSegment, SegmentKind, SegmentMember
from accounts.saved_segments import segment_disable, segment_members_apply

from .filters import STORED, segment_filterset

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshOutcome:
    entered: int = 0
    left: int = 0
    disabled: bool = False


@transaction.atomic
def segment_refresh(*, segment: SavedSegment) -> RefreshOutcome:
    """Bring a dynamic segment's members in line with its filter."""
    if segment.kind != SegmentKind.DYNAMIC:
        return RefreshOutcome()
    unknown = sorted(set(segment.filters) - set(STORED))
    filterset = segment_filterset({k: v for k, v in segment.filters.items() if k in STORED})
    if unknown or not filterset.is_valid():
        segment_disable(segment=segment, reason=",".join(unknown or sorted(filterset.errors)))
        return RefreshOutcome(disabled=True)
    if segment.disabled_reason:
        SavedSegment.objects.filter(pk=segment.pk).update(disabled_reason="")
        segment.disabled_reason = ""
    matching = filterset.qs.order_by()
    members = SegmentMember.objects.filter(segment=segment)
    entered = list(matching.exclude(pk__in=members.values("account_id")).values_list("pk", flat=True))
    left = list(members.exclude(account_id__in=matching.values("pk")).values_list("account_id", flat=True))
    segment_members_apply(segment=segment, entered=entered, left=left)
    return RefreshOutcome(entered=len(entered), left=len(left))


def segments_refresh_all() -> dict[str, int]:
    """Refresh every dynamic segment; one that fails is logged and the rest go on."""
    totals = {"segments": 0, "entered": 0, "left": 0, "disabled": 0, "failed": 0}
    for segment in SavedSegment.objects.filter(kind=SegmentKind.DYNAMIC).order_by("pk"):
        try:
            outcome = segment_refresh(segment=segment)
        except Exception:  # one broken segment must not stop the sweep
            logger.exception("saved segment %s: refresh failed", segment.pk)
            totals["failed"] += 1
            continue
        totals["segments"] += 1
        totals["entered"] += outcome.entered
        totals["left"] += outcome.left
        totals["disabled"] += int(outcome.disabled)
    return totals
