"""Retention of the webhook and chat delivery log: delivered rows older than
``HOURGLASS_DELIVERY_LOG_RETENTION_DAYS`` are deleted by the daily data-retention job.

Only ``delivered`` rows go: queued, sending and failed ones still need delivery or an
admin's attention (Redeliver).
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from core.monitoring.retention import DEFAULT_BATCH, delete_in_batches

from .models import Delivery


def deliveries_expired(*, before: datetime) -> models.QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.DELIVERED, delivered_at__lt=before)


def deliveries_prune(*, before: datetime, batch_size: int = DEFAULT_BATCH) -> int:
    return delete_in_batches(deliveries_expired(before=before), batch_size=batch_size)
