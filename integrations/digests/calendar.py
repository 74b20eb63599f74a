"""Per-person calendar (ICS) feeds: a secret URL that Outlook, Google or Feishu
calendars subscribe to, listing open tasks' due dates and the renewal dates of the
accounts in the person's scope. Only the token's SHA-256 is stored; a revoked or
unknown token answers 404."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.notifications import user_language
from core.types import AnyUser
from playbooks.models import ACTIVE_STATUSES, Task, TaskStatus
from renewals.models import OPEN_STATUSES
from renewals.selectors import renewal_scope

from .models import CalendarFeed

PRODID = "-//Hourglass//Calendar feed//EN"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_for(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user_id=user.pk).first()


@transaction.atomic
def calendar_feed_issue(*, user: User) -> str:
    """A new secret token for ``user`` (shown once); the previous URL stops working at once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user_id=user.pk, defaults={"token_hash": _hash(token)})
    return token


def calendar_feed_revoke(*, user: User) -> bool:
    deleted, _by_model = CalendarFeed.objects.filter(user_id=user.pk).delete()
    return deleted > 0


def calendar_feed_url(token: str) -> str:
    return settings.HOURGLASS_BASE_URL.rstrip("/") + reverse("digests:calendar_feed", args=[token])


def calendar_feed_user(*, token: str) -> User | None:
    """The active person whose feed ``token`` opens, or None; records the fetch."""
    feed = (
        CalendarFeed.objects.select_related("user__cs_profile")
        .filter(token_hash=_hash(token), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
    return feed.user


def _event(*, uid: str, day: date, summary: str, description: str, url: str, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)  # a date: an all-day event
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a due date does not make the person busy
    return event


def calendar_ics(*, user: AnyUser, today: date | None = None) -> bytes:
    """The person's feed, in their language: two queries whatever its size."""
    today = today or timezone.localdate()
    horizon = timedelta(days=settings.HOURGLASS_CALENDAR_HORIZON_DAYS)
    base = settings.HOURGLASS_BASE_URL.rstrip("/")
    host = urlsplit(base).hostname or "hourglass"
    stamp = timezone.now()
    tasks = (
        Task.objects.filter(
            assignee_id=user.pk,
            status__in=[*ACTIVE_STATUSES, TaskStatus.SNOOZED],
            due_date__gte=today - horizon,
            due_date__lte=today + horizon,
        )
        .select_related("account")
        .order_by("due_date", "pk")
    )
    renewals = (
        renewal_scope(user=user)
        .filter(status__in=OPEN_STATUSES, due_date__gte=today, due_date__lte=today + horizon)
        .select_related("account")
        .order_by("due_date", "pk")
    )
    with translation.override(user_language(user)):
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", _("Hourglass: tasks and renewals"))
        for task in tasks:
            calendar.add_component(
                _event(
                    uid=f"task-{task.pk}@{host}",
                    day=task.due_date,
                    summary=_("Task: %(title)s (%(account)s)") % {"title": task.title, "account": task.account.name},
                    description=task.description,
                    url=base + reverse("playbooks:task_detail", args=[task.pk]),
                    stamp=stamp,
                )
            )
        for renewal in renewals:
            calendar.add_component(
                _event(
                    uid=f"renewal-{renewal.pk}@{host}",
                    day=renewal.due_date,
                    summary=_("Renewal: %(account)s") % {"account": renewal.account.name},
                    description=str(renewal.get_status_display()),
                    url=base + reverse("renewals:detail", args=[renewal.pk]),
                    stamp=stamp,
                )
            )
    return bytes(calendar.to_ical())
