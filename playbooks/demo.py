"""Demo lifecycle stages and tasks: the stage sweep over the demo accounts.

Runs after ``renewals.demo`` (the renewal window needs the contracts). The sweep fires
the stage playbooks; at-risk renewals get their playbook here too, because their
signal only enqueues a task for a worker that may not run yet. A share of the open
tasks is backdated, so My day shows overdue work on the first login, as it would be.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from renewals.models import RenewalOpportunity, RenewalStatus

from .defaults import install_default_playbooks
from .models import OPEN_STATUSES, AccountStage, Playbook, PlaybookStep, Task, TriggerKind
from .services import FireRequest, playbooks_fire
from .stages import stage_refresh


def present() -> bool:
    return Task.objects.exists() or AccountStage.objects.exists()


def reset() -> None:
    Task.objects.all().delete()
    AccountStage.objects.all().delete()


def seed(ctx: Any) -> None:
    rng = ctx.rng
    today = ctx.today
    # Transactional test runs flush migration data; the playbooks must exist to fire.
    install_default_playbooks(Playbook, PlaybookStep)
    result = stage_refresh(today=today)
    at_risk = RenewalOpportunity.objects.filter(status=RenewalStatus.AT_RISK).select_related("account")
    risk_tasks = playbooks_fire(
        [
            FireRequest(
                account=renewal.account,
                trigger=TriggerKind.RENEWAL_AT_RISK,
                episode_key=f"renewal-at-risk:{renewal.pk}",
                trigger_date=today,
            )
            for renewal in at_risk
        ],
        today=today,
    )
    open_tasks = list(Task.objects.filter(status__in=OPEN_STATUSES).order_by("pk"))
    backdated = [task for task in open_tasks if rng.random() < 0.2]
    for task in backdated:
        task.due_date = today - timedelta(days=rng.randint(1, 10))
    Task.objects.bulk_update(backdated, ["due_date"], batch_size=1000)
    ctx.summary.append(
        f"{result.checked} lifecycle stages, {result.tasks_created + risk_tasks} playbook tasks "
        f"({len(backdated)} overdue)"
    )
