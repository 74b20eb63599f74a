"""Retention of the audit trail: history rows and login-audit rows older than
``HOURGLASS_AUDIT_RETENTION_DAYS`` (0 = keep forever) are deleted, in batches.

Run nightly by beat (``core.audit_purge_task``). Idempotent: a second run finds nothing
older than the cut-off; a run stopped half-way leaves only whole batches deleted.
Every model with django-simple-history is covered (core imports no app: the models are
found through simple_history's registry).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

BATCH_SIZE = 2000


def _purge(queryset: models.QuerySet[Any], batch_size: int) -> int:
    deleted = 0
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += queryset.model._default_manager.filter(pk__in=ids)._raw_delete(queryset.db)
        if len(ids) < batch_size:
            return deleted


def _trails(cutoff: datetime) -> list[tuple[str, models.QuerySet[Any]]]:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from simple_history.models import registered_models

    trails: list[tuple[str, models.QuerySet[Any]]] = [
        (model.history.model._meta.label, model.history.model.objects.filter(history_date__lt=cutoff))
        for model in registered_models.values()
    ]
    trails += [
        ("axes.AccessLog", AccessLog.objects.filter(attempt_time__lt=cutoff)),
        ("axes.AccessFailureLog", AccessFailureLog.objects.filter(attempt_time__lt=cutoff)),
        ("axes.AccessAttempt", AccessAttempt.objects.filter(attempt_time__lt=cutoff)),
    ]
    return trails


def audit_purge(
    *, now: datetime | None = None, days: int | None = None, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Delete audit rows older than the retention; returns rows deleted per model."""
    days = settings.HOURGLASS_AUDIT_RETENTION_DAYS if days is None else days
    if days <= 0:
        return {}
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = {label: _purge(queryset, batch_size) for label, queryset in _trails(cutoff)}
    return {label: count for label, count in deleted.items() if count}
