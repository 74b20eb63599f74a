"""The account health panel (partial + template tag) and the alert buttons."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone

from health.models import AlertStatus, HealthScore
from tests.conftest import login

from .test_alerts import make_alert

pytestmark = pytest.mark.django_db


def score(account, **fields):
    measures = [
        {
            "key": "activity_rate_7d",
            "group": "CO",
            "weight": 30,
            "value": 0.3,
            "missing": False,
            "points": 50.0,
            "colour": "yellow",
            "contribution": 30.0,
        },
        {
            "key": "nps",
            "group": "CX",
            "weight": 50,
            "value": None,
            "missing": True,
            "points": None,
            "colour": "",
            "contribution": None,
        },
    ]
    changes = [{"key": "activity_rate_7d", "weight": 30, "before": 0.71, "after": 0.3, "delta": -12.3}]
    return HealthScore.objects.create(
        account=account,
        day=timezone.localdate(),
        score=58,
        colour="yellow",
        measures=measures,
        changes=changes,
        **fields,
    )


def test_panel_shows_score_measures_explanation_and_alerts(org):
    account = org.accounts["csm_a1"][0]
    score(account)
    make_alert(account)
    page = login(Client(), org.csm_a1).get(f"/health/accounts/{account.pk}/").content.decode()
    assert 'data-testid="health-score">58<' in page
    assert "Activity rate (7 days)" in page and "missing" in page
    assert "\u221212: Activity rate (7 days) 71% → 30% (weight 30)" in page
    assert 'data-testid="activity-alert"' in page and "Acknowledge" in page


def test_panel_partial_renders_through_the_include(org):
    account = org.accounts["csm_a1"][0]
    score(account)
    request = RequestFactory().get("/")
    request.user = org.csm_a1
    html = Template('{% include "health/_account_health.html" %}').render(
        Context({"account": account, "request": request})
    )
    assert 'data-testid="health-score">58<' in html


def test_panel_of_another_csms_account_is_404(org):
    assert login(Client(), org.csm_a1).get(f"/health/accounts/{org.accounts['csm_b1'][0].pk}/").status_code == 404


def test_buttons_acknowledge_and_resolve(org):
    account = org.accounts["csm_a1"][0]
    alert = make_alert(account)
    client = login(Client(), org.csm_a1)
    answer = client.post(f"/health/alerts/{alert.pk}/acknowledge/", {"note": "Calling"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and "Calling" in answer.content.decode()
    answer = client.post(f"/health/alerts/{alert.pk}/resolve/", {"note": "Done"})
    assert answer.status_code == 302 and answer["Location"] == f"/accounts/{account.pk}/"
    alert.refresh_from_db()
    assert (alert.status, alert.note) == (AlertStatus.RESOLVED, "Done")


def test_buttons_on_another_csms_alert_are_404(org):
    alert = make_alert(org.accounts["csm_b1"][0])
    client = login(Client(), org.csm_a1)
    assert client.post(f"/health/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert client.post(f"/health/alerts/{alert.pk}/resolve/").status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_scores_api_scoped_with_explanation(org):
    mine = score(org.accounts["csm_a1"][0])
    score(org.accounts["csm_b1"][0])
    client = login(Client(), org.csm_a1)
    rows = client.get("/api/v1/health/scores/", {"account": mine.account_id}).json()["results"]
    assert [(r["account"], r["score"], r["colour"]) for r in rows] == [(mine.account_id, 58, "yellow")]
    assert rows[0]["explanation"] == ["\u221212: Activity rate (7 days) 71% → 30% (weight 30)"]
    assert rows[0]["measures"][1]["value"] is None and rows[0]["measures"][1]["missing"] is True
    assert client.get("/api/v1/health/scores/", {"account": org.accounts["csm_b1"][0].pk}).json()["results"] == []
