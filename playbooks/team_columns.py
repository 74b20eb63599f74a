"""Playbooks' column on the capacity team page: overdue tasks per CSM.

Named in ``HOURGLASS_TEAM_COLUMNS`` (capacity may not import playbooks): one grouped
query for all the CSMs shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Count
from django.utils.translation import gettext as _

from capacity.team_columns import TeamColumn

from .models import Task
from .selectors import overdue_q


def overdue_tasks(*, user_ids: Sequence[int], today: date) -> list[TeamColumn]:
    tasks = Task.objects.filter(assignee_id__in=user_ids)
    if not tasks.exists():
        return [TeamColumn("overdue_tasks", _("Overdue tasks"), {}, "count")]
    counts = dict(
        tasks.filter(overdue_q(today))
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return [TeamColumn("overdue_tasks", _("Overdue tasks"), {pk: counts.get(pk, 0) for pk in user_ids}, "count")]
