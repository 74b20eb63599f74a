"""Celery tasks of saved segments: ids in, one service call each."""

from __future__ import annotations

from celery import shared_task

from accounts.models import SavedSegment

from .refresh import segment_refresh, segments_refresh_all


@shared_task(name="workspace.segments_refresh_task", ignore_result=True, acks_late=True)
def segments_refresh_task() -> dict[str, int]:
    """The beat job: every dynamic segment's members (idempotent: a re-run finds no diff)."""
    return segments_refresh_all()


@shared_task(name="workspace.segment_refresh_task", ignore_result=True, acks_late=True)
def segment_refresh_task(*, segment_id: int) -> int:
    segment = SavedSegment.objects.filter(pk=segment_id).first()
    if segment is None:
        return 0
    outcome = segment_refresh(segment=segment)
    return outcome.entered + outcome.left
