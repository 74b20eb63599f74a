"""Forecast accuracy against a hand-worked quarter, scoping, the page and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from health.models import HealthScore
from renewals.accuracy import forecast_accuracy
from renewals.lapsed import renewals_mark_lapsed
from renewals.models import RenewalOpportunity, RenewalStatus
from renewals.services import renewal_close, renewal_mark_at_risk, renewal_override_forecast, renewal_set_stage
from tests.conftest import login
from tests.renewals.conftest import TODAY, churn_reason, make_renewal

pytestmark = pytest.mark.django_db

Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def _due(day: date, owner: Any, arr: str) -> RenewalOpportunity:
    return make_renewal(owner, days_left=(day - TODAY).days, arr=arr)


def _score(renewal: RenewalOpportunity, days_before: int, score: int, colour: str) -> None:
    HealthScore.objects.create(
        account=renewal.account, day=renewal.due_date - timedelta(days=days_before), score=score, colour=colour
    )


def _call(renewal: RenewalOpportunity, probability: str) -> None:
    renewal_override_forecast(renewal=renewal, probability=Decimal(probability), reason="QBR", actor=None)


@pytest.fixture
def quarter(org: Any) -> dict[str, RenewalOpportunity]:
    """csm_a1's four closed renewals of 2025 Q1, worked by hand in the tests below,
    csm_b1's one churn, and an open one that must not count."""
    r1 = _due(date(2025, 1, 15), org.csm_a1, "100000")  # CSM 90 %, kept; green then red
    _call(r1, "0.90")
    _score(r1, 100, 80, "green")
    _score(r1, 10, 30, "red")
    r2 = _due(date(2025, 2, 10), org.csm_a1, "50000")  # CSM 80 %, at risk, red: churned
    _call(r2, "0.80")
    renewal_mark_at_risk(renewal=r2, reason="Budget freeze", actor=None)
    _score(r2, 100, 30, "red")
    r3 = _due(date(2025, 3, 1), org.csm_a1, "20000")  # no call, committed: kept
    renewal_set_stage(renewal=r3, status=RenewalStatus.COMMITTED, actor=None)
    _score(r3, 100, 50, "yellow")
    r4 = _due(date(2025, 3, 20), org.csm_a1, "30000")  # CSM 30 %, lapsed, no score: downgraded
    _call(r4, "0.30")
    renewals_mark_lapsed(today=date(2025, 3, 25))
    other = _due(date(2025, 2, 1), org.csm_b1, "70000")
    renewal_close(renewal=r1, outcome=RenewalStatus.RENEWED, outcome_arr=Decimal("100000"), actor=None)
    renewal_close(renewal=r2, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    renewal_close(renewal=r3, outcome=RenewalStatus.RENEWED, outcome_arr=Decimal("20000"), actor=None)
    renewal_close(renewal=r4, outcome=RenewalStatus.DOWNGRADED, outcome_arr=Decimal("20000"), actor=None)
    renewal_close(renewal=other, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    _due(date(2025, 3, 30), org.csm_a1, "999999")  # open (the sweep ran before it): no outcome
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "other": other}


def test_brier_and_called_right_on_a_hand_built_quarter(org, quarter):
    report = forecast_accuracy(user=org.manager_a, start=Q1[0], end=Q1[1], group_by="csm")
    assert [row.label for row in report.rows] == [org.csm_a1.get_full_name() or "csm_a1"]
    a = report.rows[0].total
    # CSM's calls 0.90, 0.80, 0.95 (follows the committed signal), 0.30 against 1, 0, 1, 1.
    assert (a.renewals, a.own_calls, a.kept) == (4, 3, 3)
    assert a.csm_squared == Decimal("1.1425") and a.csm_brier == Decimal("0.2856")
    assert a.csm_called_right == Decimal("0.5000")
    # Signal: open + red at close (0.45), at risk + red (0.25), committed (0.95), open
    # before it lapsed, no score (0.80).
    assert a.signal_squared == Decimal("0.4075") and a.signal_brier == Decimal("0.1019")
    assert a.signal_called_right == Decimal("0.7500")
    assert a.csm_forecast_arr == Decimal("158000")
    assert a.signal_forecast_arr == Decimal("100500")
    assert a.outcome_arr == Decimal("140000")
    assert a.csm_forecast_gap == Decimal("18000.00")
    quarters = {row.label: row.total.renewals for row in report.quarters}
    assert quarters == {"2025 Q1": 4}


def test_health_bands_90_days_before_the_renewal_date(org, quarter):
    report = forecast_accuracy(user=org.admin, start=Q1[0], end=Q1[1], group_by="company")
    bands = {band.band: (band.renewals, band.churned, band.churn_rate) for band in report.bands}
    # r1 counts green (its red score came later than 90 days before); csm_b1's churn has no score.
    assert bands == {
        "green": (1, 0, Decimal("0.0000")),
        "yellow": (1, 0, Decimal("0.0000")),
        "red": (1, 1, Decimal("1.0000")),
        "none": (2, 1, Decimal("0.5000")),
    }
    assert report.total.renewals == 5


def test_scoped_like_the_kpis_other_teams_figures_are_denied(org, quarter):
    admin = forecast_accuracy(user=org.admin, start=Q1[0], end=Q1[1], group_by="csm")
    assert sorted(row.total.renewals for row in admin.rows) == [1, 4]
    manager_b = forecast_accuracy(user=org.manager_b, start=Q1[0], end=Q1[1], group_by="team")
    assert [(row.label, row.total.renewals) for row in manager_b.rows] == [(org.team_b.name, 1)]
    teammate = forecast_accuracy(user=org.csm_a2, start=Q1[0], end=Q1[1], group_by="csm")
    assert teammate.rows == [] and teammate.total.renewals == 0
    assert teammate.total.csm_brier is None


def test_unknown_grouping_is_refused(org):
    with pytest.raises(ValueError):
        forecast_accuracy(user=org.admin, start=Q1[0], end=Q1[1], group_by="segment")


def test_page_and_csv(client, org, quarter):
    login(client, org.manager_a)
    url = reverse("renewals:forecast_accuracy")
    page = client.get(url, {"start": "2025-01-01", "end": "2025-03-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "0.2856" in html and "0.1019" in html and 'data-testid="band-red"' in html
    assert "csm_b1" not in html
    export = client.get(reverse("renewals:forecast_accuracy_export"), {"start": "2025-01-01", "end": "2025-03-31"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Quarter", "Group", "Closed renewals"]
    assert [row[0] for row in rows[1:]] == ["2025 Q1", "All quarters"]
    assert rows[-1][2:7] == ["4", "3", "3", "0.2856", "0.1019"]


def test_bad_period_names_the_field(client, org):
    login(client, org.csm_a1)
    page = client.get(reverse("renewals:forecast_accuracy"), {"start": "2025-04-01", "end": "2025-01-01"})
    assert page.status_code == 400 and "The end must not be before the start." in page.content.decode()
    export = client.get(reverse("renewals:forecast_accuracy_export"), {"start": "yesterday"})
    assert export.status_code == 400 and "start" in export.content.decode()


def test_page_queries_do_not_grow_with_the_renewals(client, org):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("renewals:forecast_accuracy"), {"start": "2025-01-01", "end": "2025-03-31"})
            assert page.status_code == 200
        return len(ctx.captured_queries)

    login(client, org.admin)
    first = _due(date(2025, 2, 1), org.csm_a1, "1000")
    renewal_close(renewal=first, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    one = queries()
    for number, owner in enumerate([org.csm_a1, org.csm_a2, org.csm_b1] * 7):
        renewal = _due(date(2025, 1, 2) + timedelta(days=number * 3), owner, "2000")
        _call(renewal, "0.6")
        _score(renewal, 95, 75, "green")
        renewal_close(renewal=renewal, outcome=RenewalStatus.RENEWED, outcome_arr=Decimal("2000"), actor=None)
    assert queries() == one


def test_api_same_figures_scoped_and_bad_input(client, org, quarter):
    login(client, org.manager_a)
    url = reverse("api:renewal-forecast-accuracy")
    assert url == "/api/v1/renewals/forecast-accuracy/"
    data = client.get(url, {"start": "2025-01-01", "end": "2025-03-31"}).json()
    assert [group["total"]["renewals"] for group in data["groups"]] == [4]
    assert data["groups"][0]["total"]["csm_brier"] == "0.2856"
    assert data["groups"][0]["quarters"][0]["quarter"] == "2025-01-01"
    assert data["total"]["signal_called_right"] == "0.7500"
    assert {band["band"]: band["churned"] for band in data["health_bands"]}["red"] == 1
    bad = client.get(url, {"start": "2025-04-01", "end": "2025-01-01", "group_by": "segment"})
    assert bad.status_code == 400 and {"end", "group_by"} <= set(bad.json())
    client.logout()
    assert client.get(url).status_code in (401, 403)
