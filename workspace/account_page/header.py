"""The account page's summary header: what a CSM checks before anything else.

Health (with its CO and CX sub-scores), lifecycle stage, the next renewal, the owners,
open risk flags and the next open task — a fixed handful of small queries whatever the
account's size (each reads one row or a short list by index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, Value, When, Window
from django.utils import timezone

from accounts.models import Account, RiskFlag
from accounts.selectors import open_risk_flags
from health.models import HealthScore, MeasureGroup
from playbooks.models import OPEN_STATUSES as OPEN_TASK_STATUSES
from playbooks.models import AccountStage, Task
from renewals.models import OPEN_STATUSES as OPEN_RENEWAL_STATUSES
from renewals.models import RenewalOpportunity, RenewalStatus

RISK_FLAGS_SHOWN = 5
LAPSED_FIRST = Case(When(status=RenewalStatus.LAPSED, then=Value(0)), default=Value(1), output_field=IntegerField())


@dataclass(frozen=True)
class SubScore:
    group: str  # "CO" or "CX"
    label: str
    score: int


@dataclass(frozen=True)
class NextRenewal:
    renewal: RenewalOpportunity
    days_left: int  # negative once the date passed

    @property
    def lapsed(self) -> bool:
        return self.renewal.status == RenewalStatus.LAPSED

    @property
    def days_ago(self) -> int:
        return -self.days_left


@dataclass
class AccountHeader:
    account: Account
    score: HealthScore | None
    sub_scores: list[SubScore] = field(default_factory=list)
    stage: AccountStage | None = None
    days_in_stage: int | None = None
    renewal: NextRenewal | None = None
    risk_flags: Sequence[RiskFlag] = field(default_factory=list)
    more_risk_flags: int = 0
    next_task: Task | None = None
    today: date | None = None


def sub_scores(measures: list[dict[str, Any]]) -> list[SubScore]:
    """CO and CX as the weighted mean of their measures' points (those with a value).

    The same weights as the overall score, restricted to one group, so a CO of 80 means
    the outcome measures alone would score 80.
    """
    labels = dict(MeasureGroup.choices)
    totals: dict[str, list[float]] = {}
    for row in measures:
        if row.get("points") is None or not row.get("weight"):
            continue
        weighted, weight = totals.setdefault(row["group"], [0.0, 0.0])
        totals[row["group"]] = [weighted + row["points"] * row["weight"], weight + row["weight"]]
    return [
        SubScore(group=group, label=str(labels.get(group, group)), score=round(weighted / weight))
        for group, (weighted, weight) in sorted(totals.items())
        if weight
    ]


def _next_renewal(account: Account, today: date) -> NextRenewal | None:
    # A lapsed renewal (date passed, still to close) comes first: it is the one to act on.
    renewal = (
        RenewalOpportunity.objects.filter(account=account, status__in=[*OPEN_RENEWAL_STATUSES, RenewalStatus.LAPSED])
        .select_related("contract")
        .annotate(lapsed_first=LAPSED_FIRST)
        .order_by("lapsed_first", "due_date", "pk")
        .first()
    )
    return NextRenewal(renewal=renewal, days_left=(renewal.due_date - today).days) if renewal else None


def _stage_and_owners(account: Account) -> AccountStage | None:
    """The lifecycle stage, and the sales and implementation owners put on ``account``:
    one query (the stage is a reverse one-to-one of the account)."""
    again = Account.objects.select_related("sales_owner", "implementation_owner", "lifecycle").get(pk=account.pk)
    account.sales_owner = again.sales_owner
    account.implementation_owner = again.implementation_owner
    try:
        return again.lifecycle
    except AccountStage.DoesNotExist:
        return None


def account_header(
    *, account: Account, tasks: Sequence[Task] | None = None, today: date | None = None
) -> AccountHeader:
    """The header of ``account`` (already scope-checked by the caller); ``tasks``, when
    the page has read them already (``playbooks.selectors.account_tasks`` order), give
    the next open task."""
    today = today or timezone.localdate()
    score = HealthScore.objects.filter(account=account, day__lte=today).order_by("-day").first()
    stage = _stage_and_owners(account)
    flags = list(
        open_risk_flags(account=account)
        .annotate(open_total=Window(Count("pk")))
        .order_by("-raised_at", "-pk")[:RISK_FLAGS_SHOWN]
    )
    if tasks is None:
        next_task = (
            Task.objects.filter(account=account, status__in=OPEN_TASK_STATUSES)
            .order_by("due_date", "-priority", "pk")
            .first()
        )
    else:  # the Activity tab's list (open ones first, by due date): no second read
        next_task = next((task for task in tasks if task.status in OPEN_TASK_STATUSES), None)
    return AccountHeader(
        account=account,
        score=score,
        sub_scores=sub_scores(score.measures) if score and score.score is not None else [],
        stage=stage,
        days_in_stage=stage.days_in_stage(today) if stage else None,
        renewal=_next_renewal(account, today),
        risk_flags=flags,
        more_risk_flags=flags[0].open_total - len(flags) if flags else 0,
        next_task=next_task,
        today=today,
    )
