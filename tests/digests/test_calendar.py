"""The secret calendar feed: parses with icalendar, scoped, stable UIDs, revocable."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.digests.calendar import calendar_feed_issue, calendar_feed_revoke
from integrations.digests.models import CalendarFeed
from org.models import CsProfile
from playbooks.models import Task, TaskStatus
from tests.conftest import login
from tests.factories import AccountFactory
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db


def feed_path(token: str) -> str:
    return reverse("digests:calendar_feed", args=[token])


def events(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def book(org):
    today = timezone.localdate()
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    due = Task.objects.create(account=mine, assignee=org.csm_a1, title="Send the QBR deck", due_date=today)
    Task.objects.create(account=mine, assignee=org.csm_a1, title="Done already", due_date=today, status=TaskStatus.DONE)
    Task.objects.create(account=theirs, assignee=org.csm_b1, title="Not yours", due_date=today)
    renewal = make_renewal(account=mine, days_left=40, today=today)
    make_renewal(account=theirs, days_left=40, today=today)
    return due, renewal


def test_the_feed_parses_and_lists_only_the_persons_tasks_and_renewals(client, org):
    due, renewal = book(org)
    token = calendar_feed_issue(user=org.csm_a1)
    response = client.get(feed_path(token))  # no login: calendar apps send no session
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    assert set(found) == {f"task-{due.pk}@localhost", f"renewal-{renewal.pk}@localhost"}
    task_event = found[f"task-{due.pk}@localhost"]
    assert task_event.decoded("dtstart") == due.due_date  # a date: all-day
    assert task_event.decoded("dtend") == due.due_date + timedelta(days=1)
    assert "Send the QBR deck" in str(task_event["summary"])
    assert str(found[f"renewal-{renewal.pk}@localhost"]["summary"]).endswith(renewal.account.name)
    assert events(client.get(feed_path(token))).keys() == found.keys()  # stable UIDs
    assert CalendarFeed.objects.get(user=org.csm_a1).last_fetched_at is not None


def test_a_manager_feed_has_the_team_renewals(client, org):
    _due, renewal = book(org)
    found = events(client.get(feed_path(calendar_feed_issue(user=org.manager_a))))
    assert set(found) == {f"renewal-{renewal.pk}@localhost"}


def test_the_feed_is_in_the_persons_language(client, org):
    book(org)
    CsProfile.objects.filter(user=org.csm_a1).update(language="zh-hans")
    calendar = icalendar.Calendar.from_ical(client.get(feed_path(calendar_feed_issue(user=org.csm_a1))).content)
    summaries = {str(event["summary"]) for event in calendar.walk("VEVENT")}
    assert any(s.startswith("任务") for s in summaries) and any(s.startswith("续费") for s in summaries)


def test_unknown_regenerated_and_revoked_tokens_are_404(client, org):
    assert client.get(feed_path("not-a-token")).status_code == 404
    old = calendar_feed_issue(user=org.csm_a1)
    new = calendar_feed_issue(user=org.csm_a1)
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    assert calendar_feed_revoke(user=org.csm_a1)
    assert client.get(feed_path(new)).status_code == 404
    assert not CalendarFeed.objects.filter(token_hash__contains=new).exists()  # only a hash is stored


def test_a_deactivated_persons_feed_is_404(client, org):
    token = calendar_feed_issue(user=org.csm_a1)
    type(org.csm_a1).objects.filter(pk=org.csm_a1.pk).update(is_active=False)
    assert client.get(feed_path(token)).status_code == 404


def test_the_page_shows_a_new_url_once_and_revokes_it(client, org):
    login(client, org.csm_a1)
    response = client.post(reverse("digests:calendar"), {"action": "issue"})
    assert response.status_code == 200
    url = response.context["new_feed_url"]
    assert url.endswith(".ics") and url.encode() in response.content
    assert url.encode() not in client.get(reverse("digests:preferences")).content
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(feed_path(token)).status_code == 200
    assert client.post(reverse("digests:calendar"), {"action": "revoke"}).status_code == 302
    assert client.get(feed_path(token)).status_code == 404
    assert client.post(reverse("digests:calendar"), {"action": "bogus"}).status_code == 302
    assert not CalendarFeed.objects.exists()


def test_the_feed_takes_the_same_queries_for_1_or_20_events(client, org, django_assert_max_num_queries):
    book(org)
    token = calendar_feed_issue(user=org.csm_a1)
    with django_assert_max_num_queries(6) as small:
        client.get(feed_path(token))
    today = timezone.localdate()
    for index in range(20):
        account = AccountFactory(owner=org.csm_a1)
        Task.objects.create(account=account, assignee=org.csm_a1, title=f"T{index}", due_date=today)
        make_renewal(account=account, days_left=20 + index, today=today)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(events(client.get(feed_path(token)))) == 42
