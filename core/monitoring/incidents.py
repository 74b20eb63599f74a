"""Incidents: a condition admins are told about once, until it clears."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import MonitoringIncident


def incident_open(*, kind: str, subject: str, detail: dict[str, Any] | None = None) -> MonitoringIncident | None:
    """Open an incident; None when one of this kind and subject is already open (the
    partial unique constraint decides, so two overlapping scans open one)."""
    try:
        with transaction.atomic():
            return MonitoringIncident.objects.create(kind=kind, subject=subject, detail=detail or {})
    except IntegrityError:
        return None


def incidents_close(*, kind: str, subjects: Iterable[str] | None = None, keep: Iterable[str] = ()) -> int:
    """Close the open incidents of ``kind`` (those of ``subjects``, or all but ``keep``)."""
    open_ = MonitoringIncident.objects.filter(kind=kind, closed_at=None)
    if subjects is not None:
        open_ = open_.filter(subject__in=list(subjects))
    return open_.exclude(subject__in=list(keep)).update(closed_at=timezone.now())


def incidents_open() -> list[MonitoringIncident]:
    return list(MonitoringIncident.objects.filter(closed_at=None))
