"""The scheduled rules' sweep: each due rule, one query for its accounts, fired in chunks.

``rules_sweep`` (beat, daily) finds each active scheduled rule due on the company's day,
selects the matching accounts not yet fired this period in one query, and returns chunks
of ids; ``rule_fire_chunk`` re-checks one chunk (one query: the state may have moved on
since) and fires the rule's playbook once per (rule, account, period) — the tasks' unique
constraint and the ``not_fired`` filter make a re-run send nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from accounts.models import Account
from core.pg_tuning import aggregate_report

from ..models import Playbook, TriggerKind
from ..services import FireRequest, playbooks_fire
from .conditions import BrokenReference
from .evaluate import episode_key, is_due, not_fired, period_start, rule_accounts, rule_disable_broken

logger = logging.getLogger(__name__)
CHUNK = 1000


@dataclass(frozen=True)
class Chunk:
    playbook_id: int
    account_ids: list[int]
    episode_key: str


def rules_sweep(*, day: date, chunk: int = CHUNK) -> list[Chunk]:
    """The chunks to fire today; a rule whose condition is broken is switched off."""
    chunks: list[Chunk] = []
    for playbook in Playbook.objects.filter(trigger=TriggerKind.SCHEDULE, active=True).order_by("pk"):
        if not is_due(playbook, day):
            continue
        episode = episode_key(playbook, day)
        try:
            selected = not_fired(rule_accounts(playbook, today=day), playbook, episode).order_by("pk")
            with aggregate_report():  # JIT off: compiling the subplans costs more than running them
                ids = list(selected.values_list("pk", flat=True))
        except BrokenReference as error:
            logger.warning("rule %s switched off: %s", playbook.pk, error.messages)
            rule_disable_broken(playbook=playbook, error=error)
            continue
        chunks += [Chunk(playbook.pk, ids[i : i + chunk], episode) for i in range(0, len(ids), chunk)]
    return chunks


@transaction.atomic
def rule_fire_chunk(*, playbook_id: int, account_ids: list[int], episode: str, day: date) -> int:
    """Fire one chunk: the accounts still matching and not yet fired; returns new tasks."""
    playbook = Playbook.objects.filter(pk=playbook_id, active=True, trigger=TriggerKind.SCHEDULE).first()
    if playbook is None:  # switched off or changed since the sweep: nothing to do
        return 0
    try:
        accounts = list(
            not_fired(
                rule_accounts(playbook, today=day, accounts=Account.objects.filter(pk__in=account_ids)),
                playbook,
                episode,
            )
        )
    except BrokenReference as error:
        rule_disable_broken(playbook=playbook, error=error)
        return 0
    start = period_start(playbook, day)
    requests = [
        FireRequest(account=a, trigger=playbook.trigger, episode_key=episode, trigger_date=start) for a in accounts
    ]
    return playbooks_fire(requests, today=day, only=playbook)
