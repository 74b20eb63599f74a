"""My day: its sections, the manager's team view, and a constant query count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Stakeholder, Tier, TimelineEntry
from core.models import Notification
from health.models import HealthScore
from playbooks.models import Task, TaskStatus
from tests.conftest import login
from tests.factories import AccountFactory, make_person
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db


def build_book(owner, count, *, start=0):
    """``count`` accounts with a stakeholder, an old touchpoint, scores, tasks and a renewal."""
    today = timezone.localdate()
    accounts = Account.objects.bulk_create(
        Account(
            name=f"Book {owner.username} {start + i:04d}",
            owner=owner,
            arr=Decimal("50000"),
            go_live_date=today - timedelta(days=400),
        )
        for i in range(count)
    )
    people = Stakeholder.objects.bulk_create(
        Stakeholder(account=a, name=f"Person {a.pk}", tier=Tier.A) for a in accounts
    )
    touches = TimelineEntry.objects.bulk_create(
        TimelineEntry(
            account=a, is_touchpoint=True, kind="call", title="Call", occurred_at=timezone.now() - timedelta(days=60)
        )
        for a in accounts
    )
    for person, touch in zip(people, touches, strict=True):
        touch.stakeholders.add(person)
    HealthScore.objects.bulk_create(
        [HealthScore(account=a, day=today, score=50) for a in accounts]
        + [HealthScore(account=a, day=today - timedelta(days=7), score=70) for a in accounts]
    )
    Task.objects.bulk_create(
        Task(account=a, assignee=owner, title=f"Task {a.pk}", due_date=today - timedelta(days=i % 3))
        for i, a in enumerate(accounts)
    )
    return accounts


def test_my_day_is_the_landing_page_with_its_sections(client, org):
    login(client, org.csm_a1)
    account = org.accounts["csm_a1"][0]
    today = timezone.localdate()
    Task.objects.create(account=account, assignee=org.csm_a1, title="Overdue call", due_date=today - timedelta(days=1))
    Task.objects.create(account=account, assignee=org.csm_a1, title="Later call", due_date=today + timedelta(days=5))
    Task.objects.create(
        account=account, assignee=org.csm_a1, title="Snoozed call", due_date=today - timedelta(days=9),
        status=TaskStatus.SNOOZED, snoozed_until=today + timedelta(days=1),
    )  # fmt: skip
    Task.objects.create(account=org.accounts["csm_a2"][0], assignee=org.csm_a2, title="Not mine", due_date=today)
    make_renewal(account=account, days_left=40, today=today)
    make_renewal(account=org.accounts["csm_a1"][1], days_left=100, today=today)
    Notification.objects.create(recipient=org.csm_a1, kind="activity_drop", title="Activity drop: Acme")
    Stakeholder.objects.create(account=account, name="Never Called", tier=Tier.S)

    response = client.get(reverse("my_day"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Overdue call" in html and "Later call" in html  # overdue, and this week's
    assert "Snoozed call" not in html and "Not mine" not in html
    assert "Activity drop: Acme" in html
    assert "Never Called" in html
    assert html.count('data-testid="my-renewals"') == 1 and ">Entering<" in html
    assert 'data-testid="health-drops"' not in html  # no scores: no section
    assert 'data-testid="team-work"' not in html  # CSMs do not get the team view


def test_manager_sees_team_overdue_work_per_csm(client, org):
    today = timezone.localdate()
    for username, late in (("csm_a1", 2), ("csm_a2", 1), ("csm_b1", 5)):
        for account in org.accounts[username][:1]:
            for _ in range(late):
                Task.objects.create(
                    account=account, assignee=account.owner, title="Late", due_date=today - timedelta(days=3)
                )
    login(client, org.manager_a)
    html = client.get(reverse("my_day")).content.decode()
    assert 'data-testid="team-work"' in html
    team = html.split('data-testid="team-work"')[1].split("</section>")[0]
    assert org.csm_a1.get_full_name() in team and org.csm_a2.get_full_name() in team
    assert org.csm_b1.get_full_name() not in team


def test_health_section_lists_accounts_whose_score_fell(client, org):
    today = timezone.localdate()
    fell, rose = org.accounts["csm_a1"]
    HealthScore.objects.bulk_create(
        [
            HealthScore(account=fell, day=today, score=40),
            HealthScore(account=fell, day=today - timedelta(days=7), score=75),
            HealthScore(account=rose, day=today, score=80),
            HealthScore(account=rose, day=today - timedelta(days=7), score=60),
        ]
    )
    login(client, org.csm_a1)
    html = client.get(reverse("my_day")).content.decode()
    section = html.split('data-testid="health-drops"')[1].split("</section>")[0]
    assert fell.name in section and rose.name not in section


@pytest.mark.parametrize("role", ["csm", "manager"])
def test_my_day_query_count_is_constant(client, org, role):
    from org.models import Role, Team

    if role == "manager":
        user = make_person(Role.MANAGER, username="big_manager")
        team = Team.objects.create(name="Big", lead=user)
        owner = make_person(Role.CSM, username="big_csm", team=team)
    else:
        user = owner = make_person(Role.CSM, username="big_csm")
    make_renewal(account=AccountFactory(owner=owner), days_left=30)
    build_book(owner, 10)
    login(client, user)
    client.get(reverse("my_day"))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("my_day")).status_code == 200
    build_book(owner, 490, start=10)
    for _ in range(30):
        make_renewal(account=AccountFactory(owner=owner), days_left=20)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("my_day"))
    assert response.status_code == 200
    assert Account.objects.filter(owner=owner).count() == 531
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert len(small) <= 15
