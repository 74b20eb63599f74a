"""Silence is an alert: the daily scan catches an account whose usage stopped (issue 22)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import AccountStatus, TimelineEntry
from core.models import Notification
from health.alerts import activity_drop_scan, alert_texts
from health.models import ActivityAlert, AlertKind, AlertStatus, DailyRollup, HealthScore, ScoreRequest
from health.rescore import score_requests_run
from health.silence import silence_resolve, silence_scan
from tests.conftest import login
from tests.factories import AccountFactory

from .conftest import NOW, ZONE, business_hours, usage, weekdays_only

pytestmark = pytest.mark.django_db

LAST_DAY = (NOW - timedelta(hours=30)).date()  # Monday 16 March, last event 18:00


def silent_account(owner=None, *, pattern=business_hours, until: int = 18):
    account = AccountFactory(owner=owner)
    usage(account, pattern, start=NOW.date() - timedelta(days=60), end=LAST_DAY, last_day_until=until)
    return account


def test_last_event_30_hours_ago_with_a_healthy_baseline_raises_one_silence_alert(org):
    account = silent_account(org.csm_a1)
    result = silence_scan(now=NOW)
    [alert] = ActivityAlert.objects.filter(account=account)
    assert result.raised == [alert.pk]
    assert alert.kind == AlertKind.SILENCE and alert.status == AlertStatus.OPEN
    assert alert.last_event_at == datetime(2026, 3, 16, 18, 0, tzinfo=ZONE)
    assert NOW - alert.last_event_at == timedelta(hours=30, minutes=25)
    assert alert.detected_on == NOW.date()
    assert (alert.current_events, alert.baseline_events) == (60, 70)  # 6 days of 10 in the window
    entry = TimelineEntry.objects.get(account=account, kind="activity_drop")
    assert entry.data["alert_kind"] == "silence"
    notice = Notification.objects.get(recipient=org.csm_a1, kind="activity_drop")
    assert account.name in notice.title

    again = silence_scan(now=NOW)
    later = silence_scan(now=NOW + timedelta(days=1))  # still silent the next night
    assert again.raised == [] and later.raised == []
    assert ActivityAlert.objects.filter(account=account).count() == 1
    assert Notification.objects.filter(recipient=org.csm_a1).count() == 1


def test_the_alert_text_explains_the_silence_rule_in_both_languages(org):
    account = silent_account(org.csm_a1)
    silence_scan(now=NOW)
    alert = ActivityAlert.objects.get(account=account)
    with translation.override("en"):
        title, body = alert_texts(alert)
    assert title == f"Usage stopped: {account.name} sent no usage for 12 hours"
    assert "since 2026-03-16 18:00" in body and "each of the 4 weeks before" in body
    assert "averaged 70 events a week" in body
    with translation.override("zh-hans"):
        title_zh, body_zh = alert_texts(alert)
    assert "使用" in title_zh and account.name in title_zh and "12" in title_zh
    assert "2026-03-16 18:00" in body_zh and "70" in body_zh and body_zh != body


def test_an_account_that_was_always_tiny_gets_no_alert(org):
    tiny = AccountFactory(owner=org.csm_a1)
    usage(tiny, lambda day: (1, 10, 10), start=NOW.date() - timedelta(days=60), end=LAST_DAY)
    assert silence_scan(now=NOW).raised == []
    assert not ActivityAlert.objects.exists()


def test_hours_that_are_quiet_every_week_are_not_silence(org):
    """A weekday-only account is quiet from Friday evening to Monday morning every week."""
    account = silent_account(org.csm_a1, pattern=weekdays_only, until=18)  # ends Monday 18:00
    DailyRollup.objects.filter(account=account, day__gt=NOW.date() - timedelta(days=12)).delete()
    friday = NOW.date() - timedelta(days=12)  # Friday 6 March
    assert friday.weekday() == 4
    sunday_night = datetime.combine(friday + timedelta(days=2), NOW.timetz())  # Sunday 00:25, 30.4 h later
    assert silence_scan(now=sunday_night).raised == []
    monday_night = sunday_night + timedelta(days=2)  # Tuesday 00:25: Monday had no usage
    assert len(silence_scan(now=monday_night).raised) == 1


def test_an_account_still_using_the_product_is_not_silent(org):
    active = AccountFactory(owner=org.csm_a1)
    usage(active, business_hours, start=NOW.date() - timedelta(days=60), end=NOW.date() - timedelta(days=1))
    churned = silent_account(org.csm_a1)
    churned.status = AccountStatus.CHURNED
    churned.save()
    assert silence_scan(now=NOW).raised == []


def test_usage_coming_back_resolves_the_alert_and_the_cooldown_holds(org):
    account = silent_account(org.csm_a1)
    silence_scan(now=NOW)
    usage(account, business_hours, start=NOW.date(), end=NOW.date())
    assert silence_resolve(account_ids=[account.pk]) == 1
    alert = ActivityAlert.objects.get(account=account)
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None
    assert silence_resolve() == 0
    # Silent again three days later: the same episode's cooldown, no second alert.
    assert silence_scan(now=NOW + timedelta(days=3)).raised == []
    assert ActivityAlert.objects.filter(account=account).count() == 1


def test_a_silence_alert_is_one_per_episode_with_the_drop_rule_too(org):
    account = silent_account(org.csm_a1)
    silence_scan(now=NOW)
    # Days later the 7-day window is down by the drop rule too: the cooldown holds.
    assert activity_drop_scan(day=NOW.date() + timedelta(days=4)).raised == []
    assert ActivityAlert.objects.filter(account=account).count() == 1


def test_the_silent_account_is_rescored_the_same_day(org):
    account = silent_account(org.csm_a1)
    silence_scan(now=NOW)
    [request] = ScoreRequest.objects.filter(account=account)
    assert score_requests_run(token=request.token, day=NOW.date()) == 1
    score = HealthScore.objects.get(account=account, day=NOW.date())
    assert score.computed_at >= request.requested_at
    assert not ScoreRequest.objects.exists()


def _silent_book(n: int, owner) -> None:
    for _ in range(n):
        silent_account(owner)
    AccountFactory.create_batch(n, owner=owner)  # accounts that never sent anything


def test_the_scan_query_count_does_not_grow_with_accounts(org, django_assert_max_num_queries):
    _silent_book(10, org.csm_a1)
    with CaptureQueriesContext(connection) as queries:
        assert len(silence_scan(now=NOW).raised) == 10
    ActivityAlert.objects.all().delete()
    DailyRollup.objects.all().delete()
    _silent_book(50, org.csm_b1)
    with django_assert_max_num_queries(len(queries)):
        assert len(silence_scan(now=NOW).raised) == 50


def test_usage_below_the_configured_floor_is_silence_too(org, settings):
    account = AccountFactory(owner=org.csm_a1)
    yesterday = NOW.date() - timedelta(days=1)
    usage(account, business_hours, start=NOW.date() - timedelta(days=60), end=yesterday - timedelta(days=1))
    usage(account, lambda day: (2, 15, 16), start=yesterday, end=yesterday)  # a trickle until 16:00
    assert silence_scan(now=NOW).raised == []  # floor 0: some usage is not silence
    settings.HOURGLASS_SILENCE_FLOOR = 2
    [alert_id] = silence_scan(now=NOW).raised
    alert = ActivityAlert.objects.get(pk=alert_id)
    assert alert.episode_key == f"below-floor:{yesterday.isoformat()}"
    with translation.override("en"):
        title, body = alert_texts(alert)
    assert title == f"Usage stopped: {account.name} fell to 2 usage events a day or fewer"
    assert f"at most 2 usage events on {yesterday.isoformat()}" in body and "that weekday" in body
    with translation.override("zh-hans"):
        assert "最多只有 2 次使用事件" in alert_texts(alert)[1]
    assert silence_scan(now=NOW).raised == []
    # A trickle today is still below the floor; a normal day resolves the alert.
    usage(account, lambda day: (1, 9, 9), start=NOW.date(), end=NOW.date())
    assert silence_resolve(account_ids=[account.pk]) == 0
    DailyRollup.objects.filter(account=account, day=NOW.date()).update(events=10)
    assert silence_resolve(account_ids=[account.pk]) == 1


def test_the_account_panel_names_a_silence_alert_as_usage_stopped(org):
    account = silent_account(org.csm_a1)
    silence_scan(now=NOW)
    client = login(Client(), org.csm_a1)
    page = client.get(f"/health/accounts/{account.pk}/").content.decode()
    assert "Usage stopped: last usage event 2026-03-16 18:00" in page and "Activity dropped" not in page
    with translation.override("en"):  # the request activates zh-hans: put the language back after it
        page_zh = client.get(f"/health/accounts/{account.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "使用停止：最后一次使用事件 2026-03-16 18:00" in page_zh
