"""The accounts list page and API show each account's score, colour and 7-day delta."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from health.models import HealthScore
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_accounts_api_and_list_expose_score_colour_and_delta(org):
    account, unscored = org.accounts["csm_a1"]
    today = timezone.localdate()
    HealthScore.objects.create(account=account, day=today - timedelta(days=7), score=70, colour="green")
    HealthScore.objects.create(account=account, day=today, score=58, colour="yellow")
    client = login(Client(), org.csm_a1)
    rows = {row["id"]: row for row in client.get("/api/v1/accounts/").json()["results"]}
    assert (rows[account.pk]["health_score"], rows[account.pk]["health_colour"], rows[account.pk]["health_trend"]) == (
        58,
        "yellow",
        -12,
    )
    assert rows[unscored.pk]["health_score"] is None and rows[unscored.pk]["health_trend"] is None
    page = client.get("/accounts/").content.decode()
    assert "hg-health-yellow" in page and ">58<" in page and "-12" in page
