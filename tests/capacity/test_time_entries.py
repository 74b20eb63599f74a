"""Time entries: validation and ownership (service layer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from capacity.models import ActivityType, TimeEntry
from capacity.selectors import get_own_time_entry, time_entry_scope, timesheet
from capacity.services import MAX_DAYS_AHEAD, time_entry_create, time_entry_delete, time_entry_update

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("capacity_defaults")]


def visit():
    return ActivityType.objects.get(code="visit")


def test_nine_activity_types_are_seeded():
    assert list(ActivityType.objects.values_list("code", flat=True)) == [
        "handover", "first_contact", "visit", "liaison", "data_analysis", "training", "reporting", "internal", "other",
    ]  # fmt: skip


def test_log_time_on_an_own_account(org):
    today = timezone.localdate()
    entry = time_entry_create(
        user=org.csm_a1, activity_type=visit(), date=today, minutes=90, account=org.accounts["csm_a1"][0]
    )
    assert entry.user == org.csm_a1 and entry.minutes == 90


@pytest.mark.parametrize("minutes", [-30, 0, 24 * 60 + 1])
def test_minutes_must_be_positive_and_within_a_day(org, minutes):
    with pytest.raises(ValidationError) as error:
        time_entry_create(user=org.csm_a1, activity_type=visit(), date=timezone.localdate(), minutes=minutes)
    assert "minutes" in error.value.message_dict
    assert not TimeEntry.objects.exists()


def test_dates_more_than_seven_days_ahead_are_refused(org):
    today = timezone.localdate()
    time_entry_create(user=org.csm_a1, activity_type=visit(), date=today + timedelta(days=MAX_DAYS_AHEAD), minutes=30)
    with pytest.raises(ValidationError) as error:
        time_entry_create(
            user=org.csm_a1, activity_type=visit(), date=today + timedelta(days=MAX_DAYS_AHEAD + 1), minutes=30
        )
    assert "date" in error.value.message_dict


def test_accounts_outside_the_scope_and_retired_types_are_refused(org):
    with pytest.raises(ValidationError) as error:
        time_entry_create(
            user=org.csm_a1,
            activity_type=visit(),
            date=timezone.localdate(),
            minutes=30,
            account=org.accounts["csm_b1"][0],
        )
    assert "account" in error.value.message_dict
    retired = ActivityType.objects.create(code="old", name="Old", is_active=False)
    with pytest.raises(ValidationError) as error:
        time_entry_create(user=org.csm_a1, activity_type=retired, date=timezone.localdate(), minutes=30)
    assert "activity_type" in error.value.message_dict


def test_only_the_author_edits_or_deletes_and_others_get_404(org):
    from django.http import Http404

    entry = time_entry_create(user=org.csm_a1, activity_type=visit(), date=timezone.localdate(), minutes=30)
    with pytest.raises(Http404):
        get_own_time_entry(org.csm_a2, entry.pk)
    with pytest.raises(Http404):
        get_own_time_entry(org.manager_a, entry.pk)  # managers read, they do not edit
    with pytest.raises(PermissionDenied):
        time_entry_update(entry=entry, user=org.csm_a2, minutes=60)
    with pytest.raises(PermissionDenied):
        time_entry_delete(entry=entry, user=org.csm_a2)
    updated = time_entry_update(entry=get_own_time_entry(org.csm_a1, entry.pk), user=org.csm_a1, minutes=45)
    assert updated.minutes == 45
    with pytest.raises(ValidationError):
        time_entry_update(entry=updated, user=org.csm_a1, minutes=-1)


def test_read_scope_own_team_all(org):
    today = timezone.localdate()
    a1 = time_entry_create(user=org.csm_a1, activity_type=visit(), date=today, minutes=30)
    b1 = time_entry_create(user=org.csm_b1, activity_type=visit(), date=today, minutes=30)
    assert list(time_entry_scope(user=org.csm_a1)) == [a1]
    assert list(time_entry_scope(user=org.manager_a)) == [a1]
    assert list(time_entry_scope(user=org.manager_b)) == [b1]
    assert set(time_entry_scope(user=org.admin)) == {a1, b1}


def test_weekly_timesheet_adds_entries_and_touchpoints_per_day(org):
    from accounts.models import TimelineEntry

    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    time_entry_create(user=org.csm_a1, activity_type=visit(), date=monday, minutes=60)
    time_entry_create(user=org.csm_a1, activity_type=visit(), date=monday, minutes=30)
    time_entry_create(
        user=org.csm_a1,
        activity_type=ActivityType.objects.get(code="internal"),
        date=monday + timedelta(days=2),
        minutes=45,
    )
    time_entry_create(user=org.csm_a1, activity_type=visit(), date=monday + timedelta(days=7), minutes=999)  # next week
    noon = timezone.make_aware(timezone.datetime(monday.year, monday.month, monday.day, 12))
    TimelineEntry.objects.create(
        account=org.accounts["csm_a1"][0],
        is_touchpoint=True,
        kind="call",
        title="c",
        duration_minutes=20,
        occurred_at=noon + timedelta(days=1),
        actor=org.csm_a1,
    )
    sheet = timesheet(user=org.csm_a1, week_of=monday + timedelta(days=3))
    assert sheet.week_start == monday
    assert [(row.label, row.minutes) for row in sheet.rows] == [
        ("Visit", [90, 0, 0, 0, 0, 0, 0]),
        ("Internal", [0, 0, 45, 0, 0, 0, 0]),
    ]
    assert sheet.touchpoints.minutes == [0, 20, 0, 0, 0, 0, 0]
    assert sheet.total == 155
