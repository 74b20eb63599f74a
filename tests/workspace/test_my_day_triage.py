"""My day as triage: priority order and its reason, groups with counts, alerts apart from
FYIs, lapsed renewals, the manager's Mine / My team scope, access, constant queries."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import RiskFlag, RiskKind, Stakeholder, Tier
from core.models import Notification
from health.models import HealthScore
from playbooks.models import Task
from renewals.models import RenewalOpportunity, RenewalStatus
from tests.conftest import login
from tests.factories import AccountFactory
from tests.renewals.conftest import make_renewal
from workspace.my_day import my_day
from workspace.my_day.priority import compact_money

pytestmark = pytest.mark.django_db


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.find("</section>", start)]


def group(html: str, key: str) -> str:
    start = html.index(f'data-testid="group-{key}"')
    end = html.find('class="hg-triage-group', start + 1)
    return html[start : end if end > 0 else html.find("</section>", start)]


def test_rows_are_ranked_by_score_and_only_urgent_ones_are_tinted(client, org):
    today = timezone.localdate()
    big = AccountFactory(owner=org.csm_a1, name="Big Red Co", arr=Decimal("480000"))
    small = AccountFactory(owner=org.csm_a1, name="Small Green Co", arr=Decimal("15000"))
    HealthScore.objects.create(account=big, day=today, score=30, colour="red")
    HealthScore.objects.create(account=small, day=today, score=85, colour="green")
    make_renewal(account=big, days_left=40, today=today, arr="480000")
    minor = Task.objects.create(account=small, assignee=org.csm_a1, title="Minor", due_date=today - timedelta(days=2))
    major = Task.objects.create(account=big, assignee=org.csm_a1, title="Major", due_date=today - timedelta(days=12))

    login(client, org.csm_a1)
    overdue = group(client.get(reverse("my_day")).content.decode(), "overdue")
    assert overdue.index(f'data-task="{major.pk}"') < overdue.index(f'data-task="{minor.pk}"')
    reason = f"overdue 12 days · ARR {compact_money(480000)} · red health · renewal in 40 days"
    assert f'title="{reason}"' in overdue
    rows = re.findall(r'<tr id="task-(\d+)"[^>]*class="([^"]*)"', overdue)
    tint = {int(pk): "hg-urgent" in css for pk, css in rows}
    assert tint == {major.pk: True, minor.pk: False}

    day = my_day(user=org.csm_a1, today=today)
    scores = {row.item.pk: row.score for g in day.groups for row in g.rows if row.kind == "task"}
    # (1 + 12) × (1 + 4.8) × (1 + red 1) × (1 + (90 − 40) / 90) against (1 + 2) × 1.15 × 1 × 1
    assert scores[major.pk] == pytest.approx(13 * 5.8 * 2 * (1 + 50 / 90))
    assert scores[minor.pk] == pytest.approx(3 * 1.15)


def test_groups_today_overdue_this_week_with_counts(client, org):
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    for title, days in (("Late A", -3), ("Late B", -1), ("Now", 0), ("Soon", 3), ("Next month", 30)):
        Task.objects.create(account=account, assignee=org.csm_a1, title=title, due_date=today + timedelta(days=days))
    Stakeholder.objects.create(account=account, name="Never Called", tier=Tier.A)

    login(client, org.csm_a1)
    html = client.get(reverse("my_day")).content.decode()
    assert 'data-testid="group-today" data-count="1"' in html
    assert 'data-testid="group-overdue" data-count="3"' in html  # two tasks and a contact
    assert 'data-testid="group-week" data-count="1"' in html
    assert "Now" in group(html, "today") and "Soon" in group(html, "week")
    assert "Late A" in group(html, "overdue") and "Never Called" in group(html, "overdue")
    assert "Next month" not in html
    assert html.index('data-testid="group-today"') < html.index('data-testid="group-overdue"')
    assert ">Overdue (3)<" in html.replace("\n", "").replace("  ", "")


def test_one_primary_action_per_row_and_the_rest_in_a_menu(client, org):
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    task = Task.objects.create(account=account, assignee=org.csm_a1, title="Call", due_date=today)
    person = Stakeholder.objects.create(account=account, name="Li Na", tier=Tier.A)
    make_renewal(account=account, days_left=-3, today=today)
    login(client, org.csm_a1)
    html = client.get(reverse("my_day")).content.decode()
    task_row = html[html.index(f'<tr id="task-{task.pk}"') :].split("</tr>")[0]
    contact_row = html[html.index(f'<tr id="contact-{person.pk}"') :].split("</tr>")[0]
    renewal_row = html[html.index('<tr id="renewal-') :].split("</tr>")[0]
    for row, primary in (
        (task_row, "task-complete"),
        (contact_row, "contact-log-touch"),
        (renewal_row, "renewal-open"),
    ):
        outside_menu = row.split('class="dropdown-menu')[0]
        assert len(re.findall(r'class="btn btn-(?:success|primary)"', outside_menu)) == 1
        assert f'data-testid="{primary}"' in outside_menu and 'data-testid="row-menu"' in row
    assert 'data-testid="task-snooze-1"' in task_row.split('class="dropdown-menu')[1]
    # Logging a touch: "Log touch", then the kind — the second tap posts it.
    response = client.post(
        reverse("accounts:contact_touch", args=[person.pk]), {"kind": "call"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    assert f'id="contact-{person.pk}"' not in client.get(reverse("my_day")).content.decode()


def test_alerts_apart_from_fyis(client, org):
    account = org.accounts["csm_a1"][0]
    Notification.objects.create(recipient=org.csm_a1, kind="activity_drop", title="Activity drop: Acme")
    Notification.objects.create(recipient=org.csm_a1, kind="case_reviewed", title="Case approved: Rollout")
    Notification.objects.create(recipient=org.csm_a1, kind="monitoring.queue", title="Queue is stuck")
    read = Notification.objects.create(recipient=org.csm_a1, kind="activity_drop", title="Old drop")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    Notification.objects.create(recipient=org.csm_a2, kind="activity_drop", title="Someone else's drop")
    RiskFlag.objects.create(account=account, kind=RiskKind.DECISION_CHAIN_CHANGED, reason="Key sponsor left")

    login(client, org.csm_a1)
    html = client.get(reverse("my_day")).content.decode()
    alerts, fyis = section(html, "my-alerts"), section(html, "my-fyis")
    assert "Activity drop: Acme" in alerts and "Queue is stuck" in alerts and "Key sponsor left" in alerts
    assert "Case approved" not in alerts and "Case approved: Rollout" in fyis
    assert "Activity drop" not in fyis
    assert "Old drop" not in html and "Someone else" not in html
    assert "Alerts (3)" in alerts and "(1)" in fyis  # two unread alerts and the risk flag, all listed


@pytest.mark.parametrize("swept", [False, True])
def test_a_past_dated_renewal_is_lapsed_not_open_and_not_pipeline(client, org, swept):
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    lapsed = make_renewal(account=account, days_left=-5, today=today, arr="200000")
    make_renewal(account=org.accounts["csm_a1"][1], days_left=30, today=today, arr="100000")
    if swept:
        RenewalOpportunity.objects.filter(pk=lapsed.pk).update(status=RenewalStatus.LAPSED)
    login(client, org.csm_a1)
    html = client.get(reverse("my_day")).content.decode()
    row = html[html.index(f'<tr id="renewal-{lapsed.pk}"') :].split("</tr>")[0]
    assert f'<tr id="renewal-{lapsed.pk}"' in group(html, "overdue")
    assert "Lapsed · 5 days ago" in row and re.search(r'data-testid="renewal-status"[^>]*>Lapsed<', row)
    assert ">-5<" not in html and "-5 days" not in html
    day = my_day(user=org.csm_a1, today=today)
    assert day.tiles.pipeline_renewals == 1 and day.tiles.pipeline_arr == Decimal("100000")
    assert day.tiles.lapsed_renewals == 1 and day.tiles.lapsed_arr == Decimal("200000")


def test_manager_tiles_and_cards_share_the_team_scope_by_default(client, org):
    today = timezone.localdate()
    for username in ("csm_a1", "csm_a2", "csm_b1"):
        Stakeholder.objects.create(account=org.accounts[username][0], name=f"Person of {username}", tier=Tier.A)
        Task.objects.create(
            account=org.accounts[username][0], assignee=org.accounts[username][0].owner,
            title=f"Late for {username}", due_date=today - timedelta(days=2),
        )  # fmt: skip
    login(client, org.manager_a)
    html = client.get(reverse("my_day")).content.decode()
    assert 'data-scope="team"' in html and 'aria-current="true">My team<' in html
    assert re.search(r'data-testid="kpi-contacts">2<', html) and re.search(r'data-testid="kpi-overdue">2<', html)
    overdue = group(html, "overdue")
    assert "Person of csm_a1" in overdue and "Person of csm_a2" in overdue and "Late for csm_a2" in overdue
    assert "csm_b1" not in html  # another team's people and work
    assert 'data-testid="team-work"' in html

    mine = client.get(reverse("my_day"), {"scope": "mine"}).content.decode()
    assert 'data-scope="mine"' in mine and re.search(r'data-testid="kpi-contacts">0<', mine)
    assert "Person of csm_a1" not in mine and 'data-testid="team-work"' not in mine
    again = client.get(reverse("my_day")).content.decode()  # the choice is kept
    assert 'data-scope="mine"' in again
    bogus = client.get(reverse("my_day"), {"scope": "everyone"})
    assert bogus.status_code == 200 and 'data-scope="mine"' in bogus.content.decode()


def test_a_csm_never_sees_another_csms_items(client, org):
    today = timezone.localdate()
    theirs = org.accounts["csm_a2"][0]
    Task.objects.create(account=theirs, assignee=org.csm_a2, title="Their task", due_date=today)
    Stakeholder.objects.create(account=theirs, name="Their contact", tier=Tier.A)
    make_renewal(account=theirs, days_left=-4, today=today)
    RiskFlag.objects.create(account=theirs, kind=RiskKind.OTHER, reason="Their risk")
    login(client, org.csm_a1)
    for params in ({}, {"scope": "team"}):
        response = client.get(reverse("my_day"), params)
        html = response.content.decode()
        assert response.status_code == 200 and 'data-scope="mine"' in html and "scope-toggle" not in html
        for text in ("Their task", "Their contact", "Their risk", theirs.name):
            assert text not in html
    day = my_day(user=org.csm_a1, today=today, scope="team")
    assert day.scope == "mine" and day.tiles.lapsed_renewals == 0
    # Logging a touch on their contact is refused (not found), nothing is written.
    person = Stakeholder.objects.get(name="Their contact")
    assert client.post(reverse("accounts:contact_touch", args=[person.pk]), {"kind": "call"}).status_code == 404


def fill(owner, n: int, *, today) -> None:
    """``n`` items in every card: tasks in each group, overdue contacts, renewals lapsed,
    this week's and in the window, alerts, FYIs, risk flags, health drops, go-lives."""
    accounts = [
        AccountFactory(owner=owner, arr=Decimal("50000") + i, go_live_date=today - timedelta(days=10)) for i in range(n)
    ]
    for i, account in enumerate(accounts):
        for days in (-2, 0, 3):
            Task.objects.create(account=account, assignee=owner, title=f"T{i}{days}", due_date=today + timedelta(days))
        Stakeholder.objects.create(account=account, name=f"P{account.pk}", tier=Tier.A)
        make_renewal(account=account, days_left=(-3, 4, 40)[i % 3], today=today)
        HealthScore.objects.create(account=account, day=today, score=40, colour="red")
        HealthScore.objects.create(account=account, day=today - timedelta(days=7), score=70, colour="yellow")
        RiskFlag.objects.create(account=account, kind=RiskKind.OTHER, reason=f"R{i}")
        Notification.objects.create(recipient=owner, kind="activity_drop", title=f"A{i}")
        Notification.objects.create(recipient=owner, kind="case_reviewed", title=f"F{i}")


@pytest.mark.parametrize("role", ["csm", "manager"])
def test_query_count_is_constant_and_at_most_15(client, org, role):
    today = timezone.localdate()
    user = org.csm_a1 if role == "csm" else org.manager_a
    login(client, user)
    client.get(reverse("my_day"))  # warm caches (content types, the session)
    fill(org.csm_a1, 1, today=today)
    with CaptureQueriesContext(connection) as one:
        first = client.get(reverse("my_day"))
    fill(org.csm_a1, 19, today=today)
    with CaptureQueriesContext(connection) as twenty:
        second = client.get(reverse("my_day"))
    assert first.status_code == second.status_code == 200
    assert second.content.decode().count('data-testid="task-row"') >= 20
    assert len(twenty) == len(one), [q["sql"] for q in twenty.captured_queries]
    assert len(one) <= 15, [q["sql"][:90] for q in one.captured_queries]
