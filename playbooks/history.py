"""History rows for task writes that go around ``save()`` (bulk inserts and updates).

simple_history writes a row per ``save()``; bulk paths send no signal, so a task created
by a playbook or moved by a reassignment would be missing from the audit log. One query
and one bulk INSERT per call, with the current source (core.audit_source).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef

from core.audit_source import current_audit_source

from .models import Task


def tasks_history_created(*, account_ids: Iterable[int], since: datetime) -> int:
    """ "Created" rows for the tasks of these accounts inserted since ``since`` without one."""
    historical = Task.history.model
    new = list(
        Task.objects.filter(account_id__in=set(account_ids), created_at__gte=since).exclude(
            Exists(historical.objects.filter(id=OuterRef("pk")))
        )
    )
    if new:
        Task.history.bulk_history_create(new, default_change_reason=current_audit_source() or "")
    return len(new)
