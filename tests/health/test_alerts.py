"""Activity-drop detection: weekday-aligned, sustained, minimum volume, once per episode."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AccountStatus, TimelineEntry
from core.models import Notification, OutboundEmail
from health.alerts import activity_alert_acknowledge, activity_alert_resolve, activity_drop_scan
from health.models import ActivityAlert, AlertStatus
from health.signals import activity_drop_detected
from tests.factories import AccountFactory

from .conftest import make_rollups

pytestmark = pytest.mark.django_db

DAY = date(2025, 6, 18)  # a Wednesday
HISTORY_START = DAY - timedelta(days=60)


def steady_then_low(low_from: date, normal: int = 20, low: int = 1):
    return lambda day: normal if day < low_from else low


@pytest.fixture
def received():
    calls = []

    def handler(sender, **kwargs):
        calls.append(kwargs)

    activity_drop_detected.connect(handler, dispatch_uid="test-received")
    yield calls
    activity_drop_detected.disconnect(dispatch_uid="test-received")


def test_a_sustained_drop_raises_one_alert_with_its_side_effects(org, received, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    # 20 events a day, then 1 a day for the last 6 days.
    make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        result = activity_drop_scan(day=DAY)
    alert = ActivityAlert.objects.get()
    assert result.raised == [alert.pk]
    assert (alert.account, alert.detected_on, alert.status) == (account, DAY, AlertStatus.OPEN)
    # Window: 1 normal day + 6 low ones = 26; baseline 140 a week → 81% down.
    assert alert.current_events == 26
    assert alert.baseline_events == Decimal("140.00")
    assert alert.drop_share == Decimal("0.8143")
    entry = TimelineEntry.objects.get(account=account, kind="activity_drop")
    assert "81%" in entry.title and entry.data["alert_id"] == alert.pk
    notification = Notification.objects.get(recipient=org.csm_a1, kind="activity_drop")
    assert account.name in notification.title and "81%" in notification.title
    assert "26" in notification.body and "140" in notification.body
    assert notification.url.endswith(f"/accounts/{account.pk}/")
    assert OutboundEmail.objects.filter(to=[org.csm_a1.email]).count() == 1
    assert [(call["alert"].pk, call["account"]) for call in received] == [(alert.pk, account)]


def test_the_signal_waits_for_commit(org, received, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        activity_drop_scan(day=DAY)
    assert received == []
    for callback in callbacks:
        callback()
    assert len(received) == 1


def test_rerunning_the_scan_duplicates_nothing(org, received, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        activity_drop_scan(day=DAY)
        again = activity_drop_scan(day=DAY)
        next_day = activity_drop_scan(day=DAY + timedelta(days=1))  # same episode, still low
    assert again.raised == [] and next_day.raised == []
    assert ActivityAlert.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="activity_drop").count() == 1
    assert Notification.objects.filter(kind="activity_drop").count() == 1
    assert OutboundEmail.objects.count() == 1
    assert len(received) == 1


def test_an_account_quiet_every_weekend_is_not_flagged(org):
    """Each 7-day window holds each weekday once: weekends compare with weekends."""
    account = org.accounts["csm_a1"][0]
    make_rollups(account, lambda day: 0 if day.weekday() >= 5 else 30, start=HISTORY_START, end=DAY + timedelta(days=7))
    for offset in range(8):  # every day of a week, Sunday and Monday included
        assert activity_drop_scan(day=DAY + timedelta(days=offset)).candidates == 0
    assert not ActivityAlert.objects.exists()


def test_a_single_bad_day_is_not_a_drop(org):
    account = org.accounts["csm_a1"][0]
    make_rollups(account, lambda day: 0 if day == DAY else 20, start=HISTORY_START, end=DAY)
    assert activity_drop_scan(day=DAY).raised == []


def test_a_drop_must_hold_two_days_in_a_row(org):
    account = org.accounts["csm_a1"][0]
    # Low for the last 4 days: the window to DAY is 54% down, the one to the day before 41%.
    make_rollups(account, steady_then_low(DAY - timedelta(days=3)), start=HISTORY_START, end=DAY + timedelta(days=1))
    assert activity_drop_scan(day=DAY).raised == []
    # One more low day: both windows are now down by more than half.
    assert len(activity_drop_scan(day=DAY + timedelta(days=1)).raised) == 1


def test_small_accounts_are_not_flagged(org, settings):
    settings.HOURGLASS_ACTIVITY_DROP_MIN_BASELINE = 20
    account = org.accounts["csm_a1"][0]
    # 2 events a day = 14 a week, below the minimum baseline; then nothing at all.
    make_rollups(account, lambda day: 2 if day < DAY - timedelta(days=6) else 0, start=HISTORY_START, end=DAY)
    assert activity_drop_scan(day=DAY).candidates == 0
    settings.HOURGLASS_ACTIVITY_DROP_MIN_BASELINE = 14
    assert activity_drop_scan(day=DAY).candidates == 1


def test_the_drop_share_is_configurable(org, settings):
    account = org.accounts["csm_a1"][0]
    make_rollups(account, steady_then_low(DAY - timedelta(days=5), low=10), start=HISTORY_START, end=DAY)
    # Window 20 + 6*10 = 80 vs 140 (43% down); the day before 40 + 50 = 90 (36% down).
    assert activity_drop_scan(day=DAY).candidates == 0
    settings.HOURGLASS_ACTIVITY_DROP_SHARE = 0.3
    assert activity_drop_scan(day=DAY).candidates == 1


@pytest.mark.parametrize(("days_ago", "alerted"), [(13, False), (14, True)])
def test_cooldown_after_the_last_alert(org, days_ago, alerted):
    account = org.accounts["csm_a1"][0]
    make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
    ActivityAlert.objects.create(
        account=account,
        detected_on=DAY - timedelta(days=days_ago),
        episode_key="earlier",
        current_events=1,
        baseline_events=100,
        drop_share=Decimal("0.99"),
        status=AlertStatus.RESOLVED,
    )
    assert bool(activity_drop_scan(day=DAY).raised) is alerted


def test_churned_accounts_and_other_accounts_are_left_alone(org):
    dropping, steady = org.accounts["csm_a1"]
    churned = AccountFactory(owner=org.csm_a1, status=AccountStatus.CHURNED)
    for account in (dropping, churned):
        make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
    make_rollups(steady, lambda day: 20, start=HISTORY_START, end=DAY)
    assert set(
        ActivityAlert.objects.filter(pk__in=activity_drop_scan(day=DAY).raised).values_list("account", flat=True)
    ) == {dropping.pk}


def test_scan_limited_to_some_accounts(org):
    first, second = org.accounts["csm_a1"]
    for account in (first, second):
        make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
    assert len(activity_drop_scan(day=DAY, account_ids=[second.pk]).raised) == 1
    assert ActivityAlert.objects.get().account == second


def test_account_without_owner_gets_an_alert_and_timeline_entry_but_no_notification(org):
    make_rollups(org.unassigned, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
    assert len(activity_drop_scan(day=DAY).raised) == 1
    assert TimelineEntry.objects.filter(account=org.unassigned, kind="activity_drop").exists()
    assert not Notification.objects.exists()


def queries_of(function):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        function()
    return len(context)


def test_scan_query_count_does_not_grow_with_accounts(org):
    """Set-based: 10 or 200 accounts, dropping or not, the detection is the same queries."""

    def add(count, daily):
        for _ in range(count):
            make_rollups(AccountFactory(owner=None), daily, start=DAY - timedelta(days=40), end=DAY)

    add(10, lambda day: 20)
    small = queries_of(lambda: activity_drop_scan(day=DAY))
    add(190, lambda day: 20)
    large = queries_of(lambda: activity_drop_scan(day=DAY))
    assert small == large <= 4  # savepoint, advisory lock (PostgreSQL), the aggregate, release


# --- Acknowledge / resolve -----------------------------------------------------------------


def make_alert(account, **fields):
    defaults = {
        "detected_on": DAY,
        "episode_key": f"test-{DAY}",
        "current_events": 10,
        "baseline_events": Decimal("100"),
        "drop_share": Decimal("0.9"),
    }
    return ActivityAlert.objects.create(account=account, **{**defaults, **fields})


def test_acknowledge_then_resolve_with_notes(org):
    alert = make_alert(org.accounts["csm_a1"][0])
    alert = activity_alert_acknowledge(alert=alert, actor=org.csm_a1, note="Calling them today")
    assert (alert.status, alert.acknowledged_by, alert.note) == (
        AlertStatus.ACKNOWLEDGED,
        org.csm_a1,
        "Calling them today",
    )
    alert = activity_alert_resolve(alert=alert, actor=org.csm_a1, note="Holiday season; usage back")
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_by == org.csm_a1 and alert.resolved_at
    assert alert.note == "Holiday season; usage back"
    kinds = set(TimelineEntry.objects.filter(account=alert.account).values_list("kind", flat=True))
    assert kinds == {"activity_drop_acknowledged", "activity_drop_resolved"}


def test_resolve_directly_and_not_twice(org):
    alert = activity_alert_resolve(alert=make_alert(org.accounts["csm_a1"][0]), actor=org.csm_a1)
    assert alert.acknowledged_at is not None
    with pytest.raises(ValidationError) as error:
        activity_alert_resolve(alert=alert, actor=org.csm_a1)
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError):
        activity_alert_acknowledge(alert=alert, actor=org.csm_a1)


def test_the_scan_costs_the_same_queries_for_one_alert_or_many(org, django_capture_on_commit_callbacks):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def scan(accounts) -> tuple[int, int]:
        for account in accounts:
            make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
        cache.clear()  # both scans start cold: caches (e.g. webhook subscriptions) cost once per scan
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            result = activity_drop_scan(day=DAY)
        ActivityAlert.objects.all().delete()  # the next scan raises them again, with the new ones
        return len(result.raised), len(queries.captured_queries)

    raised_one, queries_one = scan([org.accounts["csm_a1"][0]])
    raised_all, queries_all = scan([org.accounts["csm_a1"][1], *org.accounts["csm_a2"], *org.accounts["csm_b1"]])
    assert (raised_one, raised_all) == (1, 6)
    assert queries_one == queries_all
    # Every alert got its timeline entry, its owner's notification and that one's email.
    assert TimelineEntry.objects.filter(kind="activity_drop").count() == 7
    assert Notification.objects.filter(kind="activity_drop").count() == 7
    assert OutboundEmail.objects.count() == 7
