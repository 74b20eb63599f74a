from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    heartbeat, _created = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now()}
    )
    return heartbeat


def heartbeat_prune(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget workers gone for a week (hosts come and go when scaling out)."""
    deleted, _by_model = WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - older_than).delete()
    return deleted
