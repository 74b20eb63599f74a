from __future__ import annotations

from celery import shared_task

from .services import campaign_stall_sweep


@shared_task(name="knowledge.campaign_stall_sweep_task", acks_late=True)
def campaign_stall_sweep_task() -> int:
    """Daily: a follow-up task for accounts that have not started using a rolled-out feature."""
    return campaign_stall_sweep()
