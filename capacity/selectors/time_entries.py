"""Time entries: who may read which, one's own entry, and a person's week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import TimelineEntry
from core.types import AnyUser
from org.models import Role
from org.roles import role_of

from ..models import TimeEntry


def _pk(user: AnyUser) -> int:
    return int(user.pk) if user.pk is not None else 0


def time_entry_scope(*, user: AnyUser) -> QuerySet[TimeEntry]:
    """Entries ``user`` may read: their own (CSM), their team's (manager), all (admin)."""
    entries = TimeEntry.objects.select_related("activity_type", "account", "user").order_by("-date", "-pk")
    role = role_of(user)
    if role is None:
        return entries.none()
    if role == Role.ADMIN:
        return entries
    if role == Role.MANAGER:
        return entries.filter(Q(user_id=_pk(user)) | Q(user__cs_profile__team__lead_id=_pk(user)))
    return entries.filter(user_id=_pk(user))


def get_own_time_entry(user: AnyUser, pk: int | str) -> TimeEntry:
    """One's own entry, or 404 (never reveal that another person's exists)."""
    try:
        return time_entry_scope(user=user).get(pk=pk, user_id=_pk(user))
    except (TimeEntry.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such time entry.") from exc


@dataclass(frozen=True)
class TimesheetRow:
    label: str
    minutes: list[int]

    @property
    def total(self) -> int:
        return sum(self.minutes)


@dataclass(frozen=True)
class Timesheet:
    week_start: date
    days: list[date]
    rows: list[TimesheetRow]
    touchpoints: TimesheetRow
    entries: list[TimeEntry]

    @property
    def totals(self) -> list[int]:
        return [sum(row.minutes[i] for row in [*self.rows, self.touchpoints]) for i in range(len(self.days))]

    @property
    def total(self) -> int:
        return sum(self.totals)

    @property
    def previous(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.week_start + timedelta(days=7)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def timesheet(*, user: AnyUser, week_of: date) -> Timesheet:
    """A person's week: manual entries by activity and their touchpoint minutes, per day."""
    start = week_start(week_of)
    days = [start + timedelta(days=i) for i in range(7)]
    entries = list(
        TimeEntry.objects.filter(user_id=_pk(user), date__gte=start, date__lte=days[-1])
        .select_related("activity_type", "account")
        .order_by("date", "pk")
    )
    by_type: dict[int, list[int]] = {}
    labels: dict[int, tuple[int, str]] = {}
    for entry in entries:
        minutes = by_type.setdefault(entry.activity_type_id, [0] * 7)
        minutes[(entry.date - start).days] += entry.minutes
        labels[entry.activity_type_id] = (entry.activity_type.sort_order, entry.activity_type.label)
    rows = [
        TimesheetRow(labels[type_id][1], minutes)
        for type_id, minutes in sorted(by_type.items(), key=lambda i: labels[i[0]])
    ]
    touch = [0] * 7
    for row in (
        TimelineEntry.objects.filter(
            actor_id=_pk(user),
            is_touchpoint=True,
            duration_minutes__isnull=False,
            occurred_at__date__gte=start,
            occurred_at__date__lte=days[-1],
        )
        .order_by()
        .values("occurred_at__date")
        .annotate(total_minutes=Sum("duration_minutes"))
    ):
        touch[(row["occurred_at__date"] - start).days] += int(row["total_minutes"] or 0)
    return Timesheet(
        week_start=start,
        days=days,
        rows=rows,
        touchpoints=TimesheetRow(_("Touchpoints (from the timeline)"), touch),
        entries=entries,
    )
