"""Query counts that must not grow with the size of an account (issue 3's list)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tier
from accounts.stakeholders import stakeholder_create
from accounts.timeline import timeline_record, touchpoint_log

pytestmark = pytest.mark.django_db


def grow(account, actor, start: int, stop: int) -> None:
    """Add stakeholders, touchpoints with two people each, and system entries."""
    boss = account.stakeholders.order_by("pk").first()
    for i in range(start, stop):
        someone = stakeholder_create(actor=actor, account=account, name=f"P{i}", tier=Tier.values[i % 3])
        touchpoint_log(
            actor=actor,
            account=account,
            kind=("call", "visit", "meeting")[i % 3],
            title=f"t{i}",
            occurred_at=timezone.now() - timedelta(days=i),
            stakeholders=[someone, boss],
        )
        timeline_record(account=account, kind="stage_changed", title=f"stage {i}", actor=actor)


@pytest.mark.parametrize(
    ("url_name", "params", "htmx"),
    [
        ("accounts:timeline", {}, True),
        ("accounts:timeline", {"only": "touchpoints"}, True),
        ("accounts:timeline", {"kind": "call"}, True),
        ("accounts:detail", {"kind": "call"}, False),
        ("api:stakeholder-list", {}, False),
    ],
)
def test_constant_at_1_and_50_stakeholders_and_touchpoints(client, org, url_name, params, htmx):
    account = org.accounts["csm_a1"][0]
    stakeholder_create(actor=org.csm_a1, account=account, name="Boss", tier=Tier.S)
    grow(account, org.csm_a1, 0, 1)  # one of each: a call, a touchpoint, a system entry
    client.force_login(org.csm_a1)
    url = reverse(url_name, args=[account.pk]) if url_name.startswith("accounts:") else reverse(url_name)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params, **headers).status_code == 200
        return len(ctx.captured_queries)

    count()  # the first view of an account page creates its dossier section rows
    baseline = count()
    grow(account, org.csm_a1, 1, 50)
    assert account.stakeholders.count() == 51 and account.timeline.filter(is_touchpoint=True).count() == 50
    assert count() == baseline
