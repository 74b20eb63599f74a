"""A digest's content: scoped exactly like the person's pages, in constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.notifications import notification_send
from core.people import display_name
from integrations.digests.content import digest_content
from integrations.digests.models import DigestKind
from playbooks.models import Task
from tests.conftest import login
from tests.digests.conftest import NOW, TODAY, alert, health_drop, task
from tests.factories import AccountFactory
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db

WINDOW = settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS


def content(user, kind=DigestKind.DAILY):
    return digest_content(user=user, kind=kind, today=TODAY, now=NOW)


def fill_book(org, owner="csm_a1"):
    user = getattr(org, owner)
    mine, other = org.accounts[owner][0], org.accounts["csm_b1"][0]
    task(user, mine, days=0, title="Due today")
    task(user, mine, days=-3, title="Overdue")
    task(user, mine, days=2, title="Later")  # not due yet: not in the digest
    alert(mine, key="mine")
    alert(other, key="other")
    make_renewal(account=mine, days_left=WINDOW, today=TODAY)  # entered the window today
    make_renewal(account=other, days_left=WINDOW, today=TODAY)
    make_renewal(account=mine, days_left=WINDOW - 10, today=TODAY)  # entered earlier: not news
    health_drop(mine)
    health_drop(other)


def test_a_csm_digest_lists_their_work_and_nothing_of_another_book(org):
    fill_book(org)
    digest = content(org.csm_a1)
    assert [t.title for t in digest.tasks] == ["Overdue", "Due today"]
    assert (digest.tasks_total, digest.overdue_total) == (2, 1)
    mine = org.accounts["csm_a1"][0]
    assert [a.account_id for a in digest.alerts] == [mine.pk]
    assert [r.account_id for r in digest.renewals] == [mine.pk]
    assert [a.pk for a in digest.health_drops] == [mine.pk]
    assert digest.team == []
    assert not digest.is_empty


def test_another_csm_sees_none_of_it(org):
    fill_book(org)
    digest = content(org.csm_a2)
    assert digest.is_empty
    b1 = content(org.csm_b1)
    assert {a.account.owner_id for a in b1.alerts} == {org.csm_b1.pk}
    assert {r.account.owner_id for r in b1.renewals} == {org.csm_b1.pk}
    assert b1.tasks == []


def test_a_manager_gets_their_team_roll_up_and_the_team_accounts_only(org):
    fill_book(org)
    task(org.csm_b1, org.accounts["csm_b1"][0], days=-1)  # team B: not manager A's business
    digest = content(org.manager_a)
    assert [(line.name, line.overdue, line.due_today) for line in digest.team] == [(display_name(org.csm_a1), 1, 1)]
    assert {a.account.owner_id for a in digest.alerts} == {org.csm_a1.pk}
    assert {r.account.owner_id for r in digest.renewals} == {org.csm_a1.pk}
    assert [line.name for line in content(org.manager_b).team] == [display_name(org.csm_b1)]


def test_the_weekly_digest_reaches_back_a_week(org):
    mine = org.accounts["csm_a1"][0]
    alert(mine, key="old", at=NOW - timedelta(days=3))
    make_renewal(account=mine, days_left=WINDOW - 4, today=TODAY)
    assert content(org.csm_a1).is_empty
    weekly = content(org.csm_a1, DigestKind.WEEKLY)
    assert len(weekly.alerts) == 1 and len(weekly.renewals) == 1


def test_other_notifications_of_the_period_are_listed(org):
    notification_send(recipient=org.csm_a1, kind="case_reviewed", title="Your case was approved.")
    notification_send(recipient=org.csm_a2, kind="case_reviewed", title="Not yours")
    digest = digest_content(user=org.csm_a1, kind=DigestKind.DAILY, today=TODAY, now=NOW.now(NOW.tzinfo))
    assert [n.title for n in digest.notifications] == ["Your case was approved."]


@pytest.mark.parametrize("role", ["csm_a1", "manager_a"])
def test_a_digest_takes_the_same_queries_for_1_or_20_rows(org, django_assert_max_num_queries, role):
    user = getattr(org, role)
    fill_book(org)
    with django_assert_max_num_queries(8) as small:
        content(user)
    accounts = [AccountFactory(owner=org.csm_a1) for _ in range(20)]
    for index, account in enumerate(accounts):
        task(org.csm_a1, account, days=-index % 3)
        task(org.csm_a2, account, days=-1)
        alert(account, key=f"k{index}")
        make_renewal(account=account, days_left=WINDOW, today=TODAY)
        health_drop(account)
    with django_assert_max_num_queries(len(small.captured_queries)):
        big = content(user)
    assert len(big.alerts) == 15 and len(big.renewals) == 15


def test_the_preview_page_shows_the_persons_digest_only(client, org):
    today = timezone.localdate()
    Task.objects.create(account=org.accounts["csm_a1"][0], assignee=org.csm_a1, title="Mine", due_date=today)
    Task.objects.create(account=org.accounts["csm_b1"][0], assignee=org.csm_b1, title="Theirs", due_date=today)
    login(client, org.csm_a1)
    page = client.get(reverse("digests:preview"))
    assert page.status_code == 200
    assert b"Mine" in page.content and b"Theirs" not in page.content
    assert f"Your daily digest for {today.isoformat()}".encode() in page.content
    weekly = client.get(reverse("digests:preview"), {"kind": "weekly"})
    assert b"Your weekly digest" in weekly.content
    assert client.get(reverse("digests:preview"), {"kind": "hourly"}).status_code == 200  # falls back to daily
    login(client, org.csm_a2)
    assert b'data-testid="digest-empty"' in client.get(reverse("digests:preview")).content
