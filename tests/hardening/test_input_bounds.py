"""Input a probe sent that once answered 500: each is a 400 (or the page's form error) naming the field."""

from __future__ import annotations

import pytest

from playbooks.models import Task

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # beyond 64 bits
DEEP = "[" * 1000 + "]" * 1000


def test_contract_create_without_arr_names_the_field(client, org):
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    response = client.post(
        "/api/v1/contracts/",
        {"account_id": account.pk, "start_date": "2026-01-01", "end_date": "2026-12-31"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "arr" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/accounts/?owner={HUGE}",
        f"/api/v1/renewals/?owner={HUGE}",
        f"/api/v1/tasks/?assignee={HUGE}",
        f"/api/v1/tasks/?account={HUGE}",
        f"/api/v1/timeline/?account={HUGE}",
        f"/accounts/export.csv?owner={HUGE}",
        f"/renewals/export.csv?owner={HUGE}",
    ],
)
def test_huge_ids_in_api_filters_and_exports_are_400(client, org, url):
    client.force_login(org.admin)
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert set(response.json()) & {"owner", "assignee", "account"}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/accounts/?owner={HUGE}", "owner"),
        (f"/renewals/?owner={HUGE}", "owner"),
        (f"/tasks/?assignee={HUGE}", "assignee"),
        (f"/renewals/?team={HUGE}", "team"),
    ],
)
def test_huge_ids_in_page_filters_show_the_filter_error(client, org, url, field):
    client.force_login(org.admin)
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert f"<strong>{field}</strong>" in response.content.decode()


def test_huge_task_ids_name_the_field(client, org):
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/tasks/reassign/",
        {"task_ids": [int(HUGE)], "assignee_id": org.csm_a1.pk},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "task_ids" in response.json()
    assert not Task.objects.exists()


def test_huge_stakeholder_ids_name_the_field(client, org):
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    response = client.post(
        "/api/v1/timeline/",
        {"account_id": account.pk, "kind": "call", "title": "Call", "stakeholders": [int(HUGE)]},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "stakeholders" in response.json()


def test_huge_account_id_in_a_body_names_the_field(client, org):
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/timeline/",
        {"account_id": int(HUGE), "kind": "call", "title": "Call"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "account_id" in response.json()


def test_deeply_nested_json_is_a_parse_error(client, org):
    client.force_login(org.csm_a1)
    response = client.post("/api/v1/accounts/", DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nest" in response.json()["detail"].lower()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_deeply_nested_events_are_a_parse_error(client, org, content_type):
    client.force_login(org.csm_a1)
    body = DEEP if content_type == "application/json" else '{"a": 1}\n' + DEEP + "\n"
    response = client.post("/api/v1/events/bulk", body, content_type=content_type)
    assert response.status_code == 400, response.content[:300]


def test_moderately_nested_json_still_parses(client, org):
    client.force_login(org.csm_a1)
    response = client.post(
        "/api/v1/accounts/",
        {"name": "Nested Co", "data": [[[[["fine"]]]]]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


def test_events_nested_below_the_recursion_limit_do_not_500(client, org):
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    nested = "[" * 900 + "]" * 900
    event = (
        f'{{"account_id": {account.pk}, "event_id": "e1", "occurred_at": "2026-01-01T00:00:00+00:00",'
        f' "event_type": "login", "properties": {{"x": {nested}}}}}'
    )
    for content_type, body in (("application/json", f"[{event}]"), ("application/x-ndjson", event + "\n")):
        response = client.post("/api/v1/events/bulk", body, content_type=content_type)
        assert response.status_code < 500, (content_type, response.content[:300])
