"""Retention of core's delivery log: sent emails older than the retention are deleted.

Only ``sent`` rows go: queued and failed ones still need delivery or attention. Every
producer keeps its own claim (reminders, notifications, alerts), so deleting a sent
email's row does not let it be sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction

from ..models import OutboundEmail

DEFAULT_BATCH = 5000


def delete_in_batches(queryset: models.QuerySet[Any], *, batch_size: int = DEFAULT_BATCH) -> int:
    """Delete ``queryset``'s rows a batch of primary keys at a time, each batch its own
    transaction (short locks; an interrupted run keeps what it did and resumes)."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return deleted
            queryset.model._default_manager.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted


def sent_emails_expired(*, before: datetime) -> models.QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT, sent_at__lt=before)


def sent_emails_prune(*, before: datetime, batch_size: int = DEFAULT_BATCH) -> int:
    return delete_in_batches(sent_emails_expired(before=before), batch_size=batch_size)
