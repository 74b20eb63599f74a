"""My day's triage rows: tasks, overdue contacts and renewals, grouped (overdue, today,
this week) and ranked by the priority score, one query per kind whatever the book's size.

Each query ranks its rows per group with a window function (``ROW_NUMBER() OVER
(PARTITION BY group ORDER BY score DESC)``) and counts each group the same way, so the
page reads at most ``limit`` rows of every group and still shows the true counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from accounts.cadence import contact_status
from accounts.models import Account, Stakeholder
from playbooks.models import ACTIVE_STATUSES, Task
from playbooks.selectors import due_now_q, overdue_contacts, overdue_q
from renewals.models import RenewalOpportunity
from renewals.selectors import UNDECIDED_STATUSES

from .priority import NEVER_CONTACTED_DAYS, DaysSince, Priority, explain, with_account_factors, with_score

OVERDUE, TODAY, WEEK, LATER = "overdue", "today", "week", "later"
GROUPS = (TODAY, OVERDUE, WEEK)
WEEK_DAYS = 7


@dataclass
class TriageRow:
    kind: str  # "task", "contact" or "renewal": the template's row partial
    group: str
    item: Any
    priority: Priority
    days: int  # overdue / lapsed days (≥ 0)

    @property
    def score(self) -> float:
        return self.priority.score


@dataclass
class Ranked:
    rows: list[TriageRow]
    counts: dict[str, int]
    sums: dict[str, Decimal] = field(default_factory=dict)


def _ranked(rows: QuerySet[Any], *, limit: int) -> QuerySet[Any]:
    group = [F("p_group")]
    return rows.annotate(
        p_rank=Window(RowNumber(), partition_by=group, order_by=[F("score").desc(), F("pk").asc()]),
        p_count=Window(Count("pk"), partition_by=group),
    ).filter(p_rank__lte=limit)


def _counts(items: list[Any]) -> dict[str, int]:
    counts = dict.fromkeys((*GROUPS, LATER), 0)
    for item in items:
        counts[item.p_group] = item.p_count
    return counts


def task_rows(tasks: QuerySet[Task], *, today: date, limit: int) -> Ranked:
    """Open tasks overdue, due today (or back from a snooze) and due this week."""
    week_end = today + timedelta(days=WEEK_DAYS)
    current = tasks.filter(
        due_now_q(today) | Q(status__in=ACTIVE_STATUSES, due_date__gt=today, due_date__lte=week_end)
    ).annotate(
        p_group=Case(
            When(overdue_q(today), then=Value(OVERDUE)),
            When(due_now_q(today), then=Value(TODAY)),
            default=Value(WEEK),
            output_field=CharField(),
        )
    )
    scored = with_score(
        with_account_factors(current, today=today),
        today=today,
        overdue_days=Case(When(p_group=OVERDUE, then=DaysSince(F("due_date"), today)), default=Value(0)),
        arr=F("account__arr"),
    )
    items = list(_ranked(scored, limit=limit).select_related("account", "playbook").order_by("-score", "pk"))
    rows = [TriageRow("task", item.p_group, item, explain(item), int(item.p_overdue)) for item in items]
    return Ranked(rows, _counts(items))


def contact_rows(accounts: QuerySet[Account], *, today: date, limit: int) -> Ranked:
    """Stakeholders whose cadence ran out (all in the overdue group), most urgent first."""
    people: QuerySet[Stakeholder] = overdue_contacts(accounts=accounts, today=today).annotate(
        p_group=Value(OVERDUE, output_field=CharField())
    )
    scored = with_score(
        with_account_factors(people, today=today),
        today=today,
        overdue_days=Coalesce(DaysSince(F("last_contact"), today) - F("cadence_days"), Value(NEVER_CONTACTED_DAYS)),
        arr=F("account__arr"),
    )
    items = list(_ranked(scored, limit=limit).order_by("-score", "pk"))
    rows = []
    for item in items:
        item.contact = contact_status(item, today)
        never = item.last_contact is None
        rows.append(TriageRow("contact", OVERDUE, item, explain(item, never_contacted=never), int(item.p_overdue)))
    return Ranked(rows, _counts(items))


def renewal_rows(renewals: QuerySet[RenewalOpportunity], *, today: date, window_days: int, limit: int) -> Ranked:
    """Undecided renewals up to ``window_days`` ahead: past their date (lapsed, whether or
    not the nightly sweep ran yet), due today, this week, and later in the window."""
    week_end = today + timedelta(days=WEEK_DAYS)
    current = renewals.filter(status__in=UNDECIDED_STATUSES, due_date__lte=today + timedelta(days=window_days))
    current = current.annotate(
        p_group=Case(
            When(due_date__lt=today, then=Value(OVERDUE)),
            When(due_date=today, then=Value(TODAY)),
            When(due_date__lte=week_end, then=Value(WEEK)),
            default=Value(LATER),
            output_field=CharField(),
        )
    )
    scored = with_score(
        with_account_factors(current, today=today),
        today=today,
        overdue_days=DaysSince(F("due_date"), today),
        arr=Coalesce(F("forecast_arr"), F("account__arr")),
    )
    # Each group's ARR too (the tiles: lapsed, and the open pipeline of the window).
    arr = Window(Sum(Coalesce(F("forecast_arr"), Value(Decimal("0")))), partition_by=[F("p_group")])
    items = list(_ranked(scored.annotate(p_sum=arr), limit=limit).select_related("account").order_by("-score", "pk"))
    sums = dict.fromkeys((*GROUPS, LATER), Decimal("0"))
    rows = []
    for item in items:
        sums[item.p_group] = item.p_sum
        item.days_left_value = (item.due_date - today).days
        item.is_lapsed = item.due_date < today
        item.lapsed_days = max(0, -item.days_left_value)
        rows.append(TriageRow("renewal", item.p_group, item, explain(item), item.lapsed_days))
    return Ranked(rows, _counts(items), sums)


@dataclass
class TriageGroup:
    key: str
    rows: list[TriageRow]
    total: int


def merge(*ranked: Ranked, limit: int) -> list[TriageGroup]:
    """Today, Overdue, This week: each kind's rows of the group, highest score first."""
    groups = []
    for key in GROUPS:
        rows = sorted(
            (row for part in ranked for row in part.rows if row.group == key),
            key=lambda row: (-row.score, row.kind, row.item.pk),
        )
        groups.append(TriageGroup(key, rows[:limit], sum(part.counts[key] for part in ranked)))
    return groups
