"""The account page (account 360): summary header, tabs with their own URLs, log a touch."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import RiskFlag, Stakeholder, Tier, TimelineEntry
from accounts.stakeholders import stakeholder_create
from accounts.timeline import timeline_record, touchpoint_log
from health.demo import HISTORY_DAYS, score_history_seed
from health.models import HealthModel, HealthScore
from playbooks.models import AccountStage, Task
from renewals.models import RenewalStatus
from renewals.services import contract_create
from workspace.account_page.header import sub_scores
from workspace.account_page.tabs import TAB_SLUGS
from workspace.account_page.touch import default_touch_kind

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
MEASURES = [
    {
        "key": key,
        "group": group,
        "weight": weight,
        "value": value,
        "points": points,
        "contribution": part,
        "colour": colour,
    }
    for key, group, weight, value, points, part, colour in [
        ("activity_rate_7d", "CO", 20, 0.5, 100.0, 40.0, "green"),
        ("depth", "CO", 20, 0.2, 50.0, 20.0, "yellow"),
        ("nps", "CX", 10, 7, 40.0, 8.0, "yellow"),
        ("cases", "CX", 10, None, None, None, ""),
    ]
]


def page(client: Any, account: Any) -> str:
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 200
    return response.content.decode()


def tab(client: Any, account: Any, slug: str) -> Any:
    return client.get(reverse("accounts:tab", args=[account.pk, slug]), headers=HX)


def filled(account: Any, actor: Any, size: int) -> None:
    """``size`` of everything the page lists: people, touchpoints, system entries,
    tasks, risk flags, daily scores, renewals."""
    today = timezone.localdate()
    boss = stakeholder_create(actor=actor, account=account, name="Boss", tier=Tier.S)
    for i in range(size):
        someone = stakeholder_create(actor=actor, account=account, name=f"P{i}", tier=Tier.values[i % 3])
        touchpoint_log(
            actor=actor, account=account, kind=("call", "visit")[i % 2], title=f"t{i}", stakeholders=[someone, boss]
        )
        timeline_record(account=account, kind="stage_changed", title=f"stage {i}", actor=actor)
        Task.objects.create(account=account, assignee=actor, title=f"task {i}", due_date=today + timedelta(days=i))
        RiskFlag.objects.create(account=account, kind="other", reason=f"risk {i}")
        start = today - timedelta(days=300 + i)
        contract_create(
            actor=actor,
            account=account,
            start_date=start,
            end_date=start + timedelta(days=365 + i * 40),
            arr=Decimal(1000 + i),
        )
    for i in range(max(size, 8)):  # a week of history either way (the 7-day trend reads one row more without)
        HealthScore.objects.create(
            account=account, day=today - timedelta(days=i), score=50 + i % 30, colour="yellow", measures=MEASURES
        )
    AccountStage.objects.update_or_create(
        account=account, defaults={"stage": "adoption", "entered_on": today - timedelta(days=12)}
    )


def test_header_shows_health_with_co_cx_stage_renewal_owners_flags_and_next_task(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    account.sales_owner = org.csm_a2
    account.save()
    today = timezone.localdate()
    HealthScore.objects.create(account=account, day=today, score=68, colour="yellow", measures=MEASURES)
    AccountStage.objects.create(account=account, stage="adoption", entered_on=today - timedelta(days=12))
    contract_create(
        actor=org.csm_a1,
        account=account,
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=65),
        arr=Decimal("48000"),
    )
    RiskFlag.objects.create(account=account, kind="other", reason="Champion on leave")
    Task.objects.create(account=account, assignee=org.csm_a1, title="Later", due_date=today + timedelta(days=9))
    Task.objects.create(
        account=account, assignee=org.csm_a1, title="Prepare the QBR", due_date=today - timedelta(days=2)
    )
    client.force_login(org.csm_a1)
    html = page(client, account)
    header = html[html.index('data-testid="account-header"') : html.index('role="tablist"')]
    assert ">68<" in header and 'data-colour="yellow"' in header
    assert 'data-testid="sub-score-CO"' in header and "CO 75" in header and "CX 40" in header
    assert 'data-stage="adoption"' in header and "12 days in stage" in header
    assert (today + timedelta(days=65)).isoformat() in header and "in 65 days" in header
    assert "48,000" in header or "48000" in header
    assert "Sales" in header and "Champion on leave" in header
    assert "Prepare the QBR" in header and "Overdue" in header and "Later" not in header
    assert 'data-testid="log-touch-open"' in header


def test_sub_scores_weigh_only_the_measures_with_a_value() -> None:
    assert [(s.group, s.score) for s in sub_scores(MEASURES)] == [("CO", 75), ("CX", 40)]
    assert sub_scores([]) == []


def test_header_of_an_empty_account_and_a_lapsed_renewal(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][1]
    client.force_login(org.csm_a1)
    header = page(client, account)
    assert "Not scored yet" in header and "No open task" in header
    today = timezone.localdate()
    contract = contract_create(
        actor=org.csm_a1,
        account=account,
        start_date=today - timedelta(days=400),
        end_date=today - timedelta(days=10),
        arr=Decimal(5),
    )
    type(contract.renewal).objects.filter(pk=contract.renewal.pk).update(status=RenewalStatus.LAPSED)
    html = page(client, account)
    assert 'data-testid="account-lapsed-renewal"' in html and "lapsed 10 days ago" in html


def test_activity_is_in_the_first_response_and_the_other_tabs_load_from_their_urls(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    touchpoint_log(actor=org.csm_a1, account=account, kind="visit", title="On-site workshop")
    client.force_login(org.csm_a1)
    html = page(client, account)
    assert (
        'role="tablist"' in html
        and html.count('role="tab"') == len(TAB_SLUGS)
        and html.count('role="tabpanel"') == len(TAB_SLUGS)
    )
    assert (
        "On-site workshop" in html and 'data-testid="touchpoint-form"' in html and 'data-testid="account-tasks"' in html
    )
    for slug in TAB_SLUGS[1:]:
        assert f'hx-get="{reverse("accounts:tab", args=[account.pk, slug])}"' in html
    assert 'data-testid="stakeholders"' not in html and 'data-testid="dossier"' not in html
    assert " style=" not in html


@pytest.mark.parametrize(
    ("slug", "marker"),
    [
        ("activity", 'data-testid="timeline"'),
        ("dossier", 'data-testid="dossier"'),
        ("people", 'data-testid="stakeholders"'),
        ("renewal", 'data-testid="account-renewal"'),
        ("health", 'data-testid="account-health"'),
        ("knowledge", 'data-testid="account-knowledge"'),
    ],
)
def test_each_tab_is_a_partial_in_scope_and_404_outside(client: Any, org: Any, slug: str, marker: str) -> None:
    account = org.accounts["csm_a1"][0]
    for user in (org.csm_a1, org.manager_a, org.admin):
        client.force_login(user)
        response = tab(client, account, slug)
        assert response.status_code == 200, (user, slug)
        body = response.content.decode()
        assert marker in body and "<html" not in body
    for user in (org.csm_b1, org.manager_b, org.csm_a2):
        client.force_login(user)
        assert tab(client, account, slug).status_code == 404, (user, slug)
    client.logout()
    assert tab(client, account, slug).status_code == 302  # to the login page


def test_a_tab_opened_directly_redirects_to_the_page_with_it_selected_and_an_unknown_tab_is_404(
    client: Any, org: Any
) -> None:
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:tab", args=[account.pk, "people"]))
    assert (
        response.status_code == 302
        and response["Location"] == reverse("accounts:detail", args=[account.pk]) + "#people"
    )
    assert tab(client, account, "secrets").status_code == 404
    client.force_login(org.csm_b1)
    assert tab(client, account, "secrets").status_code == 404


def test_the_log_form_starts_with_the_users_last_kind_else_the_accounts_usual_one_else_a_call(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    assert default_touch_kind(account=account, user=org.csm_a1) == "call"
    for _ in range(2):
        touchpoint_log(actor=org.csm_a2, account=account, kind="meeting", title="m")
    touchpoint_log(actor=org.csm_a2, account=account, kind="email", title="e")
    assert default_touch_kind(account=account, user=org.csm_a1) == "meeting"
    touchpoint_log(
        actor=org.csm_a1, account=account, kind="visit", title="v", occurred_at=timezone.now() - timedelta(days=3)
    )
    assert default_touch_kind(account=account, user=org.csm_a1) == "visit"


def test_the_form_is_filled_so_one_more_tap_logs(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    touchpoint_log(actor=org.csm_a1, account=account, kind="visit", title="v")
    client.force_login(org.csm_a1)
    html = page(client, account)
    form = html[html.index('data-testid="touchpoint-form"') :]
    assert 'value="visit" id="touch-kind-visit" autocomplete="off"\n                 checked' in form
    assert 'name="title" value="Visit"' in form
    assert f'value="{timezone.localdate().isoformat()}T' in form


def test_logging_a_touch_updates_the_timeline_in_place_with_a_message(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    when = timezone.localtime().replace(second=0, microsecond=0) - timedelta(minutes=5)
    url = reverse("accounts:timeline", args=[account.pk])
    response = client.post(
        url, {"kind": "meeting", "occurred_at": when.strftime("%Y-%m-%dT%H:%M"), "title": "Meeting"}, headers=HX
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'data-testid="touch-logged"' in body and "Touchpoint logged." in body
    assert body.count('data-testid="timeline-entry"') == 1 and "Meeting" in body
    # The fresh form keeps the kind just used.
    assert 'value="meeting" id="touch-kind-meeting" autocomplete="off"\n                 checked' in body
    assert TimelineEntry.objects.filter(account=account, is_touchpoint=True, kind="meeting").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "call", "occurred_at": "not a date", "title": "x"}, "occurred_at"),
        ({"kind": "call", "occurred_at": "9999-12-31T10:00", "title": "x"}, "occurred_at"),
        ({"kind": "call", "occurred_at": "2026-01-05T10:00", "title": ""}, "title"),
        ({"kind": "spaceship", "occurred_at": "2026-01-05T10:00", "title": "x"}, "kind"),
        ({"kind": "call", "occurred_at": "2026-01-05T10:00", "title": "x" * 301}, "title"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_nothing_is_logged(
    client: Any, org: Any, data: dict[str, str], field: str
) -> None:
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    response = client.post(reverse("accounts:timeline", args=[account.pk]), data, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-field-error="{field}"' in body and 'data-testid="touch-logged"' not in body
    assert '<details class="hg-card p-3 mb-3 hg-log-touch" id="log-touch" data-testid="log-touch" open>' in body
    assert not TimelineEntry.objects.filter(account=account, is_touchpoint=True).exists()


def test_another_team_cannot_log_on_the_account(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_b1)
    response = client.post(
        reverse("accounts:timeline", args=[account.pk]),
        {"kind": "call", "occurred_at": "2026-01-05T10:00", "title": "x"},
        headers=HX,
    )
    assert response.status_code == 404
    assert not TimelineEntry.objects.filter(account=account).exists()


def count_queries(client: Any, url: str, **headers: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, headers=headers).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("slug", ["", *TAB_SLUGS])
def test_queries_do_not_grow_with_the_account(client: Any, org: Any, slug: str) -> None:
    small, big = org.accounts["csm_a1"]
    filled(small, org.csm_a1, 1)
    filled(big, org.csm_a1, 30)
    client.force_login(org.csm_a1)

    def url(account: Any) -> str:
        return (
            reverse("accounts:tab", args=[account.pk, slug]) if slug else reverse("accounts:detail", args=[account.pk])
        )

    headers = HX if slug else {}
    for account in (small, big):
        count_queries(client, url(account), **headers)  # the first view creates the dossier sections
    assert count_queries(client, url(big), **headers) == count_queries(client, url(small), **headers)
    if not slug:  # issue 22's budget for the first response, owners of every kind set
        type(big).objects.filter(pk=big.pk).update(sales_owner=org.csm_a2, implementation_owner=org.manager_a)
        assert count_queries(client, url(big)) <= 15


def test_health_tab_draws_the_90_days_and_says_when_there_is_no_history(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    empty = tab(client, account, "health").content.decode()
    assert 'data-testid="health-trend-empty"' in empty and "health-trend-chart" not in empty
    today = timezone.localdate()
    HealthScore.objects.bulk_create(
        HealthScore(account=account, day=today - timedelta(days=n), score=40 + n % 20, colour="yellow")
        for n in range(120)
    )
    body = tab(client, account, "health").content.decode()
    assert 'data-testid="health-trend-chart"' in body and "Health score, last 90 days" in body
    assert '"xTitle": "Day"' in body and '"yTitle": "Health score"' in body


def test_demo_history_gives_each_account_90_plus_daily_scores(org: Any) -> None:
    today = timezone.localdate()
    model = HealthModel.objects.first()
    accounts = org.accounts["csm_a1"]
    for account, score in zip(accounts, (70, None), strict=True):  # the second had too little data today
        account.go_live_date = today - timedelta(days=400)
        HealthScore.objects.create(
            account=account, day=today, score=score, colour="green" if score else "", model=model
        )
        HealthScore.objects.create(
            account=account, day=today - timedelta(days=7), score=66, colour="yellow", model=model
        )
    with CaptureQueriesContext(connection) as ctx:
        created = score_history_seed(accounts, today=today, rng=random.Random(3))
    assert created == len(accounts) * HISTORY_DAYS
    assert len(ctx.captured_queries) <= 3  # one read, one bulk insert (in a savepoint on some backends)
    for account in accounts:
        days = HealthScore.objects.filter(account=account, day__gt=today - timedelta(days=90), day__lt=today)
        assert days.count() == 89 and not days.filter(score__isnull=True).exists()
        assert days.get(day=today - timedelta(days=7)).score == 66  # a real score is kept
    # A second run doubles nothing.
    score_history_seed(accounts, today=today, rng=random.Random(4))
    assert HealthScore.objects.filter(account=accounts[0]).count() == HISTORY_DAYS + 1
    assert Stakeholder.objects.count() == 0
