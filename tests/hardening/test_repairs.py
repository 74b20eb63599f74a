"""``manage.py repair``: each job repairs, and a second run changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
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
