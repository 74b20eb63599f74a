"""``manage.py repair``: each job repairs, and a second run changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from core.models import OutboundEmail
from health.models import DailyRollup, UsageEvent
from health.services import events_ingest
from playbooks.models import Task
from renewals.models import RenewalReminder
from tests.health.conftest import make_event
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db


def repair(*args: str) -> str:
    out = StringIO()
    call_command("repair", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    return sorted(DailyRollup.objects.values_list("account_id", "day", "events", "active_users"))


@override_settings(HOURGLASS_EVENT_RETENTION_DAYS=0)
def test_rollups_repair_rebuilds_lost_and_wrong_rows_and_is_idempotent(org):
    account = org.accounts["csm_a1"][0]
    events_ingest(actor=org.admin, events=[make_event(account, i) for i in range(12)])
    day = date(2025, 6, 10)
    # A lost rollup message and a corrupted row elsewhere.
    DailyRollup.objects.all().delete()
    other = org.accounts["csm_b1"][0]
    DailyRollup.objects.create(account=other, day=day, events=99, active_users=9)
    assert UsageEvent.objects.count() == 12

    first = repair("rollups", "--date", day.isoformat())
    after_first = snapshot()
    assert [(a, d, e) for a, d, e, _u in after_first] == [(account.pk, day, 12)]
    second = repair("rollups", "--date", day.isoformat())
    assert snapshot() == after_first
    assert "rollups 2025-06-10..2025-06-10" in first and "rollups" in second


@override_settings(HOURGLASS_EVENT_RETENTION_DAYS=30)
def test_rollups_repair_keeps_the_rollups_of_days_past_event_retention(org):
    """Retention pruned those days' events: rebuilding them would wipe the rollups."""
    account = org.accounts["csm_a1"][0]
    today = timezone.localdate()
    old_day, recent_day = today - timedelta(days=60), today - timedelta(days=3)
    DailyRollup.objects.create(account=account, day=old_day, events=40, active_users=4)
    DailyRollup.objects.create(account=account, day=recent_day, events=7, active_users=2)  # no events behind it

    out = repair("rollups", "--start", (today - timedelta(days=90)).isoformat(), "--end", today.isoformat())

    assert DailyRollup.objects.filter(day=old_day, events=40).exists()
    assert not DailyRollup.objects.filter(day=recent_day).exists()  # recent days are rebuilt
    assert "past retention" in out
    only_old = repair("rollups", "--date", old_day.isoformat())
    assert "nothing to rebuild" in only_old and DailyRollup.objects.filter(day=old_day).exists()


def test_stage_and_reminder_sweeps_run_twice_change_nothing(org):
    today = timezone.localdate()
    start, end = (today - timedelta(days=1)).isoformat(), today.isoformat()
    repair("stages", "--start", start, "--end", end)
    tasks = sorted(Task.objects.values_list("pk", "status", "assignee_id"))
    again = repair("stages", "--start", start, "--end", end)
    assert sorted(Task.objects.values_list("pk", "status", "assignee_id")) == tasks
    assert again.strip().endswith("0 changed")
    for days_left in (30, 7):
        make_renewal(org.csm_a1, days_left=days_left, today=today)
    first = repair("reminders", "--date", end)
    reminders = sorted(RenewalReminder.objects.values_list("renewal_id", "threshold_days"))
    emails = OutboundEmail.objects.count()
    second = repair("reminders", "--date", end)
    assert "2 newly queued" in first
    assert "0 newly queued" in second
    assert sorted(RenewalReminder.objects.values_list("renewal_id", "threshold_days")) == reminders
    assert OutboundEmail.objects.count() == emails >= 2
