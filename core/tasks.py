from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import heartbeat_prune, heartbeat_record


@shared_task(name="core.heartbeat_task", bind=True, ignore_result=True)
def heartbeat_task(self: Any) -> None:
    heartbeat_record(hostname=self.request.hostname or "unknown")


@shared_task(name="core.heartbeat_prune_task", ignore_result=True)
def heartbeat_prune_task() -> int:
    return heartbeat_prune()
