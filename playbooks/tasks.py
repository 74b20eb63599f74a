"""Celery tasks of the playbooks app: ids in, one service call each."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from django.conf import settings

from accounts.models import Account
from core.clock import local_date
from core.locks import chunk_claim

from .rules.sweep import CHUNK as RULES_CHUNK
from .rules.sweep import rule_fire_chunk, rules_sweep
from .services import FireRequest, playbook_fire, playbooks_fire, tasks_follow_owner, tasks_wake_snoozed
from .stages import stage_refresh


@shared_task(name="playbooks.stage_sweep_task", ignore_result=True, acks_late=True)
def stage_sweep_task() -> int:
    """Daily (beat): fan the stage refresh out in chunks of accounts, all for the same day.

    A chunk is a range of ids (every account from its first id up to the next chunk's),
    so an account created meanwhile is still covered. Safe to run twice or concurrently:
    each chunk is claimed (``core.locks.chunk_claim``: one worker at a time), transitions
    are decided against the stored stage, timeline entries carry a dedupe key and tasks
    a unique constraint.
    """
    return stage_sweep_dispatch(day=local_date())


def stage_sweep_dispatch(*, day: date) -> int:
    """Send one ``stage_refresh_task`` per ``HOURGLASS_STAGE_SWEEP_CHUNK`` accounts for
    ``day`` (one query of the ids); returns the number of accounts covered."""
    chunk = max(1, int(settings.HOURGLASS_STAGE_SWEEP_CHUNK))
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    starts = ids[::chunk]
    for number, first in enumerate(starts):
        last = starts[number + 1] - 1 if number + 1 < len(starts) else None
        stage_refresh_task.delay(first_id=first, last_id=last, day=day.isoformat())
    return len(ids)


@shared_task(name="playbooks.stage_refresh_task", ignore_result=True, acks_late=True)
def stage_refresh_task(
    *,
    account_ids: list[int] | None = None,
    first_id: int | None = None,
    last_id: int | None = None,
    day: str | None = None,
) -> int:
    """Recompute the stage of some accounts: a list of ids (a date just changed) or the
    sweep's chunk ``first_id``..``last_id`` (inclusive; no ``last_id``: to the end)."""
    today = date.fromisoformat(day) if day else local_date()
    if account_ids is not None:
        return _stage_refresh_accounts(account_ids, today)
    # A sweep's chunk: one worker at a time, in one transaction; a copy arriving while it
    # runs is skipped. Not remembered once done: a second sweep the same day runs again
    # (it may have snoozed tasks to wake), and writes nothing twice.
    name = f"playbooks.stage_sweep:{today.isoformat()}:{first_id}:{last_id}"
    with chunk_claim(name) as claimed:
        if not claimed:
            return 0
        return _stage_refresh_accounts(range(first_id or 0, (last_id if last_id is not None else 2**62) + 1), today)


def _stage_refresh_accounts(accounts: list[int] | range, today: date) -> int:
    changed = stage_refresh(account_ids=accounts, today=today).changed
    tasks_follow_owner(account_ids=accounts)
    # Last, so that a woken task also tells that this chunk's stage work is committed.
    tasks_wake_snoozed(today=today, account_ids=accounts)
    return changed


@shared_task(name="playbooks.playbook_fire_many_task", ignore_result=True, acks_late=True)
def playbook_fire_many_task(*, items: list[list[Any]], day: str | None = None) -> int:
    """``playbook_fire_task`` for a batch of ``[account_id, trigger, episode_key]``: each
    idempotent per episode, so a redelivered batch creates nothing twice."""
    accounts = Account.objects.in_bulk([item[0] for item in items])
    today = local_date()
    trigger_date = date.fromisoformat(day) if day else today
    requests = [
        FireRequest(account=accounts[account_id], trigger=trigger, episode_key=episode_key, trigger_date=trigger_date)
        for account_id, trigger, episode_key in items
        if account_id in accounts  # deleted since the signal: nothing to do
    ]
    return playbooks_fire(requests, today=today)


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


@shared_task(name="playbooks.rules_sweep_task", ignore_result=True, acks_late=True)
def rules_sweep_task(day: str | None = None, chunk_size: int | None = None) -> int:
    """Daily (beat): the scheduled rules due on the company's day, one task per chunk of
    matching accounts; returns the number of accounts sent. A re-run sends nothing new:
    the accounts already fired this period are left out in the same query."""
    today = date.fromisoformat(day) if day else local_date()
    chunks = rules_sweep(day=today, chunk=chunk_size or RULES_CHUNK)
    for chunk in chunks:
        rule_fire_chunk_task.delay(
            playbook_id=chunk.playbook_id,
            account_ids=chunk.account_ids,
            episode_key=chunk.episode_key,
            day=today.isoformat(),
        )
    return sum(len(chunk.account_ids) for chunk in chunks)


@shared_task(name="playbooks.rule_fire_chunk_task", ignore_result=True, acks_late=True)
def rule_fire_chunk_task(*, playbook_id: int, account_ids: list[int], episode_key: str, day: str) -> int:
    """Fire one scheduled rule for one chunk; idempotent per (rule, account, period)."""
    return rule_fire_chunk(
        playbook_id=playbook_id, account_ids=account_ids, episode=episode_key, day=date.fromisoformat(day)
    )
