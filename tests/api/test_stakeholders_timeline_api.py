from __future__ import annotations

import pytest

from accounts.models import RiskFlag, Stakeholder, TimelineEntry
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_create_list_and_mark_stakeholder_left(client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    created = client.post(
        "/api/v1/stakeholders/",
        {"account_id": account.pk, "name": "Wang CEO", "tier": "S", "key_level": 1},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    listed = client.get("/api/v1/stakeholders/", {"account": account.pk}).json()
    assert [row["name"] for row in listed["results"]] == ["Wang CEO"]
    unsaid = client.post(f"/api/v1/stakeholders/{sid}/left/")
    assert unsaid.status_code == 400 and "reason" in unsaid.json()  # a reason is required
    left = client.post(f"/api/v1/stakeholders/{sid}/left/", {"reason": "Retired"}, content_type="application/json")
    assert left.status_code == 200 and left.json()["is_active"] is False
    assert RiskFlag.objects.filter(account=account, kind="decision_chain_changed").count() == 1


def test_stakeholder_on_another_csms_account_is_refused_by_field(client, org):
    foreign = org.accounts["csm_b1"][0]
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/stakeholders/", {"account_id": foreign.pk, "name": "X"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "account_id" in response.json()
    assert not Stakeholder.objects.exists()


def test_stakeholders_of_other_accounts_are_invisible(client, org):
    hidden = Stakeholder.objects.create(account=org.accounts["csm_b1"][0], name="Hidden")
    client.force_login(org.csm_a1)
    assert client.get(f"/api/v1/stakeholders/{hidden.pk}/").status_code == 404
    assert client.post(f"/api/v1/stakeholders/{hidden.pk}/left/").status_code == 404
    hidden.refresh_from_db()
    assert hidden.is_active


def test_log_touchpoint_and_read_timeline(client, org):
    account = org.accounts["csm_a1"][0]
    vp = Stakeholder.objects.create(account=account, name="VP", tier="S")
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/timeline/",
        {
            "account_id": account.pk,
            "kind": "value_report",
            "title": "Q3 value report",
            "duration_minutes": 45,
            "stakeholders": [vp.pk],
            "occurred_at": "2026-11-20T10:00:00+08:00",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind_display"] == "Value report / QBR"
    timeline = client.get("/api/v1/timeline/", {"account": account.pk, "is_touchpoint": "true"}).json()
    assert [row["title"] for row in timeline["results"]] == ["Q3 value report"]


def test_touchpoint_errors_name_the_fields(client, org):
    account = org.accounts["csm_a1"][0]
    other = Stakeholder.objects.create(account=org.accounts["csm_a2"][0], name="Other")
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/timeline/",
        {"account_id": account.pk, "kind": "smoke signal", "title": "", "occurred_at": "yesterday"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {"kind", "title", "occurred_at"} <= set(response.json())
    response = client.post(
        "/api/v1/timeline/",
        {"account_id": account.pk, "kind": "call", "title": "x", "stakeholders": [other.pk]},
        content_type="application/json",
    )
    assert response.status_code == 400 and "stakeholders" in response.json()
    assert not TimelineEntry.objects.filter(is_touchpoint=True).exists()


def test_timeline_list_query_count_is_constant(client, org, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = AccountFactory(owner=org.csm_a1)
    people = [Stakeholder.objects.create(account=account, name=f"P{i}") for i in range(3)]
    client.force_login(org.csm_a1)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/timeline/", {"account": account.pk}).status_code == 200
        return len(ctx.captured_queries)

    entry = TimelineEntry.objects.create(account=account, kind="call", is_touchpoint=True, title="t")
    entry.stakeholders.set(people)
    one = count()
    for i in range(49):
        entry = TimelineEntry.objects.create(account=account, kind="call", is_touchpoint=True, title=f"t{i}")
        entry.stakeholders.set(people)
    assert count() == one
