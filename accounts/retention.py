"""Retention of the timeline's system entries (what jobs wrote: alerts, reminders,
stage changes). Touchpoints — what people logged — are never deleted by retention."""

from __future__ import annotations

from datetime import datetime

from django.db import models

from core.monitoring.retention import DEFAULT_BATCH, delete_in_batches

from .models import TimelineEntry


def timeline_system_expired(*, before: datetime) -> models.QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(is_touchpoint=False, occurred_at__lt=before)


def timeline_system_prune(*, before: datetime, batch_size: int = DEFAULT_BATCH) -> int:
    return delete_in_batches(timeline_system_expired(before=before), batch_size=batch_size)
