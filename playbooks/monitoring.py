"""The playbooks app's figures for monitoring: tasks created, by trigger and playbook."""

from __future__ import annotations

from django.db.models import Count

from .models import Task


def tasks_created_by_rule() -> dict[tuple[str, str], int]:
    """Every task ever created, by (trigger, playbook name; "" for tasks without one)."""
    rows = Task.objects.order_by().values("trigger", "playbook__name").annotate(n=Count("pk"))
    return {(str(row["trigger"]), str(row["playbook__name"] or "")): int(row["n"]) for row in rows}
