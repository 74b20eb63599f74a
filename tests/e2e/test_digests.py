"""Notification preferences and the calendar feed in a real browser (Debian's Chromium)."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from integrations.digests.models import CalendarFeed, NotificationPreference
from org.models import CsProfile, Role
from playbooks.models import Task
from tests.factories import PASSWORD, AccountFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def test_a_csm_sets_a_weekly_digest_and_subscribes_to_the_calendar(page, screenshot):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    account = AccountFactory(owner=csm, name="Harbor Freight Co")
    # Overdue in every time zone (the digest reads the person's own local date).
    yesterday = timezone.localdate() - timedelta(days=1)
    task = Task.objects.create(account=account, assignee=csm, title="Send the QBR deck", due_date=yesterday)
    log_in(page, "csm")

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=menu-notification-preferences]")
    page.wait_for_selector("[data-testid=digest-preferences]")
    page.uncheck("input[name=daily]")
    page.check("input[name=weekly]")
    page.select_option("select[name=weekly_day]", "4")
    page.select_option("select[name=send_at]", "07:30")
    page.select_option("select[name=time_zone]", "Europe/Berlin")
    page.select_option("select[name=channel_activity_drop]", "digest")
    page.click("[data-testid=digest-save]")
    page.wait_for_selector("text=Your notification preferences are saved.")
    saved = NotificationPreference.objects.get(user=csm)
    assert (saved.daily, saved.weekly, saved.weekly_day, saved.send_at.strftime("%H:%M")) == (False, True, 4, "07:30")
    assert (saved.time_zone, saved.channels["activity_drop"]) == ("Europe/Berlin", "digest")
    assert page.locator("select[name=send_at]").input_value() == "07:30"  # the page shows what was saved
    page.click("[data-testid=digest-preview-link]")
    assert "Send the QBR deck" in page.inner_text("[data-testid=digest-preview]")
    page.go_back()

    page.click("[data-testid=calendar-issue]")
    url = page.inner_text("[data-testid=calendar-url]")
    screenshot("digests-preferences")
    feed = page.request.get(url.replace("http://localhost:8000", ""))
    assert feed.status == 200 and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    uids = {str(event["uid"]) for event in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")}
    assert uids == {f"task-{task.pk}@localhost"}

    page.goto("/integrations/notifications/")
    assert url not in page.content()  # shown once
    page.click("[data-testid=calendar-revoke]")
    page.wait_for_selector("text=the old URL no longer works")
    assert page.request.get(url.replace("http://localhost:8000", "")).status == 404
    assert not CalendarFeed.objects.exists()


def test_the_page_speaks_chinese_to_a_chinese_reader(page):
    csm = make_person(Role.CSM, username="wang", first_name="芳", last_name="王")
    CsProfile.objects.filter(user=csm).update(language="zh-hans")
    log_in(page, "wang")
    page.goto("/integrations/notifications/")
    assert page.inner_text("h1") == "通知偏好"
    assert "仅在摘要中" in page.inner_text("[data-testid=digest-channels]")
