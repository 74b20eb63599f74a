"""The capacity pages: scope, sorting, planner, preset choice, timesheet, query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capacity.models import ActivityType, CapacityPreset, TimeEntry
from capacity.services import time_entry_create
from org.models import Role, Team
from tests.conftest import login
from tests.factories import AccountFactory, make_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("capacity_defaults")]


def rows_of(response):
    return [row.user.username for row in response.context["rows"]]


def test_nav_shows_team_and_time(client, org):
    html = login(client, org.csm_a1).get(reverse("capacity:team")).content.decode()
    assert 'href="/capacity/"' in html and 'href="/capacity/time/"' in html


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("capacity:team"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_csm_sees_only_their_own_book(client, org):
    response = login(client, org.csm_a1).get(reverse("capacity:team"))
    assert response.status_code == 200
    assert rows_of(response) == ["csm_a1"]
    html = response.content.decode()
    assert 'data-testid="own-segments"' in html
    assert "Hiring triggers" not in html
    assert 'data-testid="preset-form"' not in html


def test_manager_sees_the_team_not_the_other_team(client, org):
    response = login(client, org.manager_a).get(reverse("capacity:team"))
    assert sorted(rows_of(response)) == ["csm_a1", "csm_a2"]
    assert "csm_b1" not in response.content.decode()


def test_team_table_sorts_by_arr_both_ways_and_htmx_gets_the_partial(client, org):
    AccountFactory(owner=org.csm_a2, arr=Decimal("900000"))
    login(client, org.manager_a)
    assert rows_of(client.get(reverse("capacity:team"), {"ordering": "-arr"})) == ["csm_a2", "csm_a1"]
    assert rows_of(client.get(reverse("capacity:team"), {"ordering": "arr"})) == ["csm_a1", "csm_a2"]
    partial = client.get(
        reverse("capacity:team"), {"ordering": "-arr"}, headers={"HX-Request": "true", "HX-Target": "team-table"}
    )
    assert partial.templates[0].name == "workspace/_team_table.html"
    assert "<html" not in partial.content.decode()


def test_status_badge_and_reason_are_on_the_page(client, org):
    AccountFactory(owner=org.csm_a1, arr=Decimal("6000000"))
    html = login(client, org.manager_a).get(reverse("capacity:team")).content.decode()
    assert "Over capacity" in html
    assert "ARR ¥6,200,000 is above the preset&#x27;s ¥5,000,000 per CSM." in html
    assert "China: ¥2–5M per CSM" in html  # the preset is cited


def test_planner_is_for_managers_and_says_20_csms(client, org):
    assert login(client, org.csm_a1).get(reverse("capacity:planner")).status_code == 403
    login(client, org.manager_a)
    response = client.get(reverse("capacity:planner"), {"segment": "enterprise", "accounts": 100, "ratio": 5})
    assert response.status_code == 200
    assert "20 CSMs" in response.content.decode()
    partial = client.get(
        reverse("capacity:planner"),
        {"segment": "enterprise", "accounts": 100, "ratio": 5},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in partial.content.decode() and "20 CSMs" in partial.content.decode()
    bad = client.get(
        reverse("capacity:planner"), {"segment": "enterprise", "accounts": -3}, headers={"HX-Request": "true"}
    )
    assert 'data-testid="planner-error"' in bad.content.decode()


def test_only_admins_switch_the_preset(client, org):
    conservative = CapacityPreset.objects.get(hard_cap__isnull=False)
    assert login(client, org.manager_a).post(reverse("capacity:preset"), {"preset": conservative.pk}).status_code == 403
    assert not CapacityPreset.objects.get(pk=conservative.pk).is_active
    response = login(client, org.admin).post(reverse("capacity:preset"), {"preset": conservative.pk})
    assert response.status_code == 302
    assert CapacityPreset.objects.get(is_active=True) == conservative


def test_timesheet_quick_entry_and_week_navigation(client, org):
    login(client, org.csm_a1)
    today = timezone.localdate()
    visit = ActivityType.objects.get(code="visit")
    response = client.post(
        reverse("capacity:timesheet"),
        {"date": today.isoformat(), "activity_type": visit.pk, "account": org.accounts["csm_a1"][0].pk, "minutes": 90},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert TimeEntry.objects.get().minutes == 90
    assert 'data-testid="time-entry"' in response.content.decode()
    last_week = today - timedelta(days=7)
    page = client.get(reverse("capacity:timesheet"), {"week": last_week.isoformat()})
    assert page.context["sheet"].week_start == last_week - timedelta(days=last_week.weekday())
    assert page.context["sheet"].entries == []


def test_timesheet_shows_errors_for_bad_entries(client, org):
    login(client, org.csm_a1)
    visit = ActivityType.objects.get(code="visit")
    far = timezone.localdate() + timedelta(days=30)
    response = client.post(
        reverse("capacity:timesheet"), {"date": far.isoformat(), "activity_type": visit.pk, "minutes": 30}
    )
    assert response.status_code == 200
    assert "at most 7 days ahead" in response.content.decode()
    response = client.post(
        reverse("capacity:timesheet"), {"date": far.isoformat(), "activity_type": visit.pk, "minutes": -5}
    )
    assert 'data-testid="field-error"' in response.content.decode()
    other = client.post(
        reverse("capacity:timesheet"),
        {
            "date": timezone.localdate().isoformat(),
            "activity_type": visit.pk,
            "minutes": 5,
            "account": org.accounts["csm_b1"][0].pk,
        },
    )
    assert 'data-testid="field-error"' in other.content.decode()
    assert not TimeEntry.objects.exists()


def test_deleting_another_persons_entry_is_404(client, org):
    entry = time_entry_create(
        user=org.csm_a2, activity_type=ActivityType.objects.get(code="visit"), date=timezone.localdate(), minutes=30
    )
    assert login(client, org.csm_a1).post(reverse("capacity:time_delete", args=[entry.pk])).status_code == 404
    assert login(client, org.manager_a).post(reverse("capacity:time_delete", args=[entry.pk])).status_code == 404
    assert login(client, org.csm_a2).post(reverse("capacity:time_delete", args=[entry.pk])).status_code == 302
    assert not TimeEntry.objects.exists()


def _team_with(count: int, team: Team, start: int) -> None:
    visit = ActivityType.objects.get(code="visit")
    for index in range(start, start + count):
        csm = make_person(Role.CSM, username=f"qc{index}", team=team)
        account = AccountFactory(owner=csm, arr=Decimal(50000 + index * 1000))
        AccountFactory(owner=csm, arr=Decimal("500000"))
        TimeEntry.objects.create(user=csm, account=account, activity_type=visit, date=timezone.localdate(), minutes=60)


def test_team_page_query_count_is_the_same_for_2_and_40_csms(client):
    manager = make_person(Role.MANAGER, username="qc_manager")
    team = Team.objects.create(name="QC", lead=manager)
    _team_with(2, team, 0)
    login(client, manager)
    url = reverse("capacity:team") + "?refresh=1"  # computed, not read from the figures cache
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).context["rows"]) == 2
    _team_with(38, team, 2)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url).context["rows"]) == 40
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(large.captured_queries) <= 47  # 45 + the operations settings row and the reader's column choice
    with CaptureQueriesContext(connection) as cached:
        assert len(client.get(reverse("capacity:team")).context["rows"]) == 40
    # session, user, notifications badge, the reader's column choice: the figures come from the cache
    assert len(cached.captured_queries) <= 7
