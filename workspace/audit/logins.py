"""The login audit: sign-ins and sign-outs (django-axes' ``AccessLog``), failures and
lockouts (``AccessFailureLog``, with ``AXES_ENABLE_ACCESS_FAILURE_LOG``), and who is
locked out now (``AccessAttempt``).

An admin sees everyone's; a manager their team's people's (matched on the username
typed at the login form). Three queries per page at most, merged newest first; paging by
a ``before`` timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.clock import local_day_start
from core.types import AnyUser
from org.models import Role
from org.roles import role_of

PAGE_SIZE = 50
KINDS = {
    "success": _("Signed in"),
    "logout": _("Signed out"),
    "failure": _("Failed sign-in"),
    "lockout": _("Locked out"),
}


@dataclass(frozen=True)
class LoginQuery:
    username: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class LoginEvent:
    when: datetime
    kind: str
    username: str
    ip_address: str
    user_agent: str

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])


def _username_scope(user: AnyUser) -> Q | None:
    """``None``: everyone (admin); else the usernames of the manager's team."""
    role = role_of(user)
    if role == Role.ADMIN:
        return None
    if role != Role.MANAGER:
        return Q(pk__in=[])
    team = get_user_model().objects.filter(Q(pk=user.pk) | Q(cs_profile__team__lead_id=user.pk))
    return Q(username__in=team.values("username"))


def _window(rows: QuerySet[Any], time_field: str, user: AnyUser, query: LoginQuery) -> QuerySet[Any]:
    scope = _username_scope(user)
    if scope is not None:
        rows = rows.filter(scope)
    if query.username:
        rows = rows.filter(username=query.username)
    if query.date_from is not None:
        rows = rows.filter(**{f"{time_field}__gte": local_day_start(query.date_from)})
    if query.date_to is not None:
        rows = rows.filter(**{f"{time_field}__lt": local_day_start(query.date_to + timedelta(days=1))})
    if query.before is not None:
        rows = rows.filter(**{f"{time_field}__lt": query.before})
    return rows.order_by(f"-{time_field}")


def _events(rows: QuerySet[Any], time_field: str, kind: Any, limit: int) -> list[LoginEvent]:
    columns = ["username", "ip_address", "user_agent", time_field, *(["locked_out"] if kind is None else [])]
    return [
        LoginEvent(
            when=row[time_field],
            kind=kind or ("lockout" if row["locked_out"] else "failure"),
            username=row["username"] or "",
            ip_address=row["ip_address"] or "",
            user_agent=row["user_agent"] or "",
        )
        for row in rows.values(*columns)[: limit + 1]
    ]


def login_events(*, user: AnyUser, query: LoginQuery, limit: int = PAGE_SIZE) -> tuple[list[LoginEvent], Any]:
    """``(events, next before)``: one page, newest first."""
    wanted = {query.kind} if query.kind in KINDS else set(KINDS)
    found: list[LoginEvent] = []
    if "success" in wanted:
        successes = _window(AccessLog.objects.all(), "attempt_time", user, query)
        found += _events(successes, "attempt_time", "success", limit)
    if "logout" in wanted:
        logouts = _window(AccessLog.objects.filter(logout_time__isnull=False), "logout_time", user, query)
        found += _events(logouts, "logout_time", "logout", limit)
    if wanted & {"failure", "lockout"}:
        failures = _window(AccessFailureLog.objects.all(), "attempt_time", user, query)
        if wanted & {"failure", "lockout"} != {"failure", "lockout"}:
            failures = failures.filter(locked_out="lockout" in wanted)
        found += _events(failures, "attempt_time", None, limit)
    found.sort(key=lambda event: event.when, reverse=True)
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1].when if more and found else None)


def current_lockouts(*, user: AnyUser, limit: int = 20) -> list[Any]:
    """People locked out now (failures at the limit within the cool-off)."""
    rows = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    scope = _username_scope(user)
    if scope is not None:
        rows = rows.filter(scope)
    return list(rows.order_by("-attempt_time")[:limit])
