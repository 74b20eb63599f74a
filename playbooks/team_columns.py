"""Playbooks' figure per CSM on the team page (``workspace.team_page``): overdue tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Count

from .models import Task
from .selectors import overdue_q


def overdue_tasks_by_assignee(*, user_ids: Sequence[int], today: date) -> dict[int, int]:
    """``{user id: overdue tasks}`` for each of ``user_ids`` in one grouped query; empty
    when none of them has any task at all (the column then has nothing to say)."""
    tasks = Task.objects.filter(assignee_id__in=user_ids)
    if not tasks.exists():
        return {}
    counts = dict(
        tasks.filter(overdue_q(today))
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return {pk: counts.get(pk, 0) for pk in user_ids}
