"""Signals ``playbooks`` publishes (integrations.webhooks receives them), after commit.

``tasks_created``: new tasks. kwargs: either ``task_ids`` (a task created by hand or via
  the API), or ``account_ids`` and ``since`` (a playbook run's bulk insert: the tasks of
  those accounts created since then — one query for the receiver, not one per task).
``task_completed``: kwargs ``task``, ``actor``.
"""

from __future__ import annotations

from django.dispatch import Signal

tasks_created = Signal()
task_completed = Signal()
