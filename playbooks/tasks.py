"""Celery tasks of the playbooks app: ids in, one service call each."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.conf import settings

from accounts.models import Account

from .services import playbook_fire, tasks_follow_owner, tasks_wake_snoozed
from .stages import local_today, stage_refresh


@shared_task(name="playbooks.stage_sweep_task", ignore_result=True, acks_late=True)
def stage_sweep_task() -> int:
    """Daily (beat): fan the stage refresh out in chunks of accounts, all for the same day.

    Safe to run twice or concurrently: transitions are decided against the stored
    stage, timeline entries carry a dedupe key and tasks a unique constraint.
    """
    today = local_today().isoformat()
    chunk = settings.HOURGLASS_STAGE_SWEEP_CHUNK
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        stage_refresh_task.delay(account_ids=ids[start : start + chunk], day=today)
    return len(ids)


@shared_task(name="playbooks.stage_refresh_task", ignore_result=True, acks_late=True)
def stage_refresh_task(*, account_ids: list[int], day: str | None = None) -> int:
    """Recompute the stage of some accounts (the sweep's chunks; a date just changed)."""
    today = date.fromisoformat(day) if day else local_today()
    tasks_wake_snoozed(today=today, account_ids=account_ids)
    tasks_follow_owner(account_ids=account_ids)
    return stage_refresh(account_ids=account_ids, today=today).changed


@shared_task(name="playbooks.playbook_fire_task", ignore_result=True, acks_late=True)
def playbook_fire_task(*, account_id: int, trigger: str, episode_key: str, day: str | None = None) -> int:
    """Fire one trigger's playbooks for one account (from a signal); idempotent per episode."""
    account = Account.objects.filter(pk=account_id).first()
    if account is None:  # deleted since the signal: nothing to do
        return 0
    return playbook_fire(
        account=account,
        trigger=trigger,
        episode_key=episode_key,
        trigger_date=date.fromisoformat(day) if day else None,
    )
