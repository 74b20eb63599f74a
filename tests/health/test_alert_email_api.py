"""The alert email through a real SMTP server, in the owner's language; the alerts API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from health.alerts import activity_drop_scan
from health.models import ActivityAlert, AlertStatus
from tests.conftest import login

from .conftest import make_rollups
from .test_alerts import DAY, HISTORY_START, make_alert, steady_then_low

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "greeting", "link_text"),
    [("zh-hans", "你好", "在 Hourglass 中打开"), ("en", "Hello", "Open in Hourglass")],
)
def test_alert_email_arrives_in_the_owners_language(
    org, smtp_server, celery_eager, django_capture_on_commit_callbacks, language, greeting, link_text
):
    profile = org.csm_a1.cs_profile
    profile.language = language
    profile.save()
    account = org.accounts["csm_a1"][0]
    make_rollups(account, steady_then_low(DAY - timedelta(days=5)), start=HISTORY_START, end=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        activity_drop_scan(day=DAY)
    [message] = smtp_server.wait_for(1, timeout=10)
    assert str(message["To"]) == org.csm_a1.email
    assert account.name in str(message["Subject"])
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert greeting in text and greeting in html
    assert link_text in html
    assert f"/accounts/{account.pk}/" in text
    assert "26" in text and "140" in text


def url(alert=None, action=None):
    base = "/api/v1/health/alerts/"
    if alert is None:
        return base
    return f"{base}{alert.pk}/" + (f"{action}/" if action else "")


def test_alerts_api_lists_only_the_callers_accounts(org):
    mine = make_alert(org.accounts["csm_a1"][0])
    make_alert(org.accounts["csm_b1"][0])
    client = login(Client(), org.csm_a1)
    body = client.get(url()).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    row = body["results"][0]
    assert row["drop_share"] == "0.9000" and row["status"] == "open" and row["account"] == mine.account_id


def test_a_csm_cannot_see_or_acknowledge_another_csms_alert(org):
    theirs = make_alert(org.accounts["csm_b1"][0])
    client = login(Client(), org.csm_a1)
    assert client.get(url(theirs)).status_code == 404
    assert client.post(url(theirs, "acknowledge"), {"note": "x"}, content_type="application/json").status_code == 404
    assert client.post(url(theirs, "resolve"), {}, content_type="application/json").status_code == 404
    assert ActivityAlert.objects.get(pk=theirs.pk).status == AlertStatus.OPEN


def test_acknowledge_and_resolve_through_the_api(org):
    alert = make_alert(org.accounts["csm_a1"][0])
    client = login(Client(), org.csm_a1)
    answer = client.post(url(alert, "acknowledge"), {"note": "On it"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "acknowledged" and answer.json()["note"] == "On it"
    answer = client.post(url(alert, "resolve"), {"note": "Fixed SSO"}, content_type="application/json")
    assert answer.json()["status"] == "resolved" and answer.json()["resolved_by"] == org.csm_a1.pk
    again = client.post(url(alert, "resolve"), {}, content_type="application/json")
    assert again.status_code == 400 and "status" in again.json()


def test_a_manager_acknowledges_an_alert_of_their_team(org):
    alert = make_alert(org.accounts["csm_a2"][0])
    answer = login(Client(), org.manager_a).post(url(alert, "acknowledge"), {}, content_type="application/json")
    assert answer.status_code == 200
    assert login(Client(), org.manager_b).get(url(alert)).status_code == 404


def test_alerts_filter_by_account_and_status(org):
    first, second = org.accounts["csm_a1"]
    make_alert(first)
    resolved = make_alert(second, status=AlertStatus.RESOLVED, baseline_events=Decimal("50"))
    client = login(Client(), org.csm_a1)
    assert [r["id"] for r in client.get(url(), {"status": "resolved"}).json()["results"]] == [resolved.pk]
    assert [r["account"] for r in client.get(url(), {"account": first.pk}).json()["results"]] == [first.pk]
