"""Signals ``playbooks`` publishes (integrations.webhooks receives them), after commit.

``tasks_created``: new tasks. kwargs: either ``task_ids`` (a task created by hand or via
  the API), or ``account_ids`` and ``since`` (a playbook run's bulk insert: the tasks of
  those accounts created since then — one query for the receiver, not one per task).
``task_completed``: kwargs ``task``, ``actor``.
``playbooks_fired``: playbooks (today's rules) that fired. kwargs ``firings``: a list of
  ``Firing``, one per playbook, account and episode that created tasks — a whole stage
  sweep's firings in one signal. A firing repeated (the same episode again) created
  nothing and is not in the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

tasks_created = Signal()
task_completed = Signal()
playbooks_fired = Signal()


@dataclass(frozen=True)
class Firing:
    playbook_id: int
    account_id: int
    trigger: str
    episode_key: str
    fired_at: datetime
    # How many tasks it created (its tasks: those of the playbook, account and episode).
    tasks: int
