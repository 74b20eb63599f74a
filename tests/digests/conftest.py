"""Helpers of the digest and calendar-feed tests: a moment, and things to report."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from health.models import ActivityAlert, HealthScore
from integrations.digests.models import NotificationPreference
from playbooks.models import Task

SITE = ZoneInfo(settings.TIME_ZONE)
# 09:00 on a Wednesday in the site's time zone (Asia/Shanghai by default).
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=SITE)
TODAY = NOW.date()


def prefer(user: Any, **fields: Any) -> NotificationPreference:
    defaults = {"daily": True, "send_at": time(8, 0), "time_zone": settings.TIME_ZONE, **fields}
    preference, _created = NotificationPreference.objects.update_or_create(user=user, defaults=defaults)
    return preference


def task(user: Any, account: Any, *, days: int = 0, title: str = "Call the sponsor") -> Task:
    return Task.objects.create(account=account, assignee=user, title=title, due_date=TODAY + timedelta(days=days))


def alert(account: Any, *, key: str = "x", at: datetime = NOW) -> ActivityAlert:
    return ActivityAlert.objects.create(
        account=account,
        detected_on=at.date(),
        episode_key=key,
        current_events=1,
        baseline_events=Decimal(50),
        drop_share=Decimal("0.8"),
        created_at=at - timedelta(hours=2),
    )


def health_drop(account: Any, *, today: date = TODAY, before: int = 80, now: int = 55) -> None:
    HealthScore.objects.create(account=account, day=today - timedelta(days=8), score=before, colour="green")
    HealthScore.objects.create(account=account, day=today, score=now, colour="red")
