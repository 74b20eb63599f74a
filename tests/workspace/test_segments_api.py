"""``/api/v1/segments/``: scoped list, field-named 400s, owner-only changes, members
within the caller's scope (paginated), constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import SavedSegment
from accounts.saved_segments import segment_members_apply
from health.models import HealthScore
from workspace.segments.services import segment_save

URL = "/api/v1/segments/"


def _red(account):
    from django.utils import timezone

    HealthScore.objects.create(account=account, day=timezone.localdate(), score=20, colour="red")


@pytest.mark.django_db
def test_create_list_and_members_in_scope(client, org):
    for account in org.accounts["csm_a1"] + org.accounts["csm_a2"]:
        _red(account)
    client.force_login(org.manager_a)
    response = client.post(
        URL, {"name": "Team red", "shared": True, "filters": {"health": ["red"]}}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["member_count"], body["kind"], body["editable"], body["owner"]["username"]) == (
        4, "dynamic", True, "manager_a",
    )  # fmt: skip

    client.force_login(org.csm_a1)
    listed = client.get(URL).json()["results"]
    assert [(row["name"], row["member_count"], row["editable"]) for row in listed] == [("Team red", 2, False)]
    members = client.get(f"{URL}{body['id']}/members/").json()
    assert {row["name"] for row in members["results"]} == {a.name for a in org.accounts["csm_a1"]}
    assert members["results"][0]["health_colour"] == "red"
    client.force_login(org.csm_b1)
    assert client.get(f"{URL}{body['id']}/members/").status_code == 404
    assert client.get(URL).json()["results"] == []


@pytest.mark.django_db
def test_bad_input_is_a_field_named_400(client, org):
    client.force_login(org.csm_a1)
    cases = [
        ({"name": "x", "filters": {"stage": ["no-such-stage"]}}, ("filters", "stage")),
        ({"name": "x", "filters": {"nope": ["1"]}}, ("filters", "nope")),
        ({"name": "x", "filters": {"in_segment": ["1"]}}, ("filters", "in_segment")),
        ({"name": "x", "filters": "red"}, ("filters",)),
        ({"name": "", "filters": {}}, ("name",)),
        ({"name": "x" * 121}, ("name",)),
        ({"name": "x", "kind": "smart"}, ("kind",)),
    ]
    for payload, path in cases:
        response = client.post(URL, payload, content_type="application/json")
        assert response.status_code == 400, (payload, response.content)
        errors = response.json()
        for key in path:
            assert key in errors, (payload, errors)
            errors = errors[key]
    assert not SavedSegment.objects.exists()


@pytest.mark.django_db
def test_only_owner_or_admin_changes_and_kind_is_fixed(client, org):
    segment = segment_save(actor=org.csm_a1, name="Mine", shared=True, filters={})
    url = f"{URL}{segment.pk}/"
    client.force_login(org.csm_a2)
    assert client.get(url).status_code == 200
    assert client.patch(url, {"name": "x"}, content_type="application/json").status_code == 403
    assert client.delete(url).status_code == 403
    client.force_login(org.csm_b1)
    assert client.patch(url, {"name": "x"}, content_type="application/json").status_code == 404
    client.force_login(org.csm_a1)
    assert client.patch(url, {"kind": "static"}, content_type="application/json").status_code == 400
    response = client.patch(url, {"name": "New", "filters": {"health": ["red"]}}, content_type="application/json")
    assert response.status_code == 200 and response.json()["filters"] == {"health": ["red"]}
    client.force_login(org.admin)
    assert client.delete(url).status_code == 204
    assert not SavedSegment.objects.exists()


@pytest.mark.django_db
def test_list_and_members_take_the_same_queries_for_one_row_or_twenty(client, org):
    client.force_login(org.admin)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = segment_save(actor=org.admin, name="s0", filters={})
    segment_members_apply(segment=first, entered=[org.unassigned.pk], left=[])
    one_list, one_members = count(URL), count(f"{URL}{first.pk}/members/")
    for i in range(19):
        segment_save(actor=org.csm_a1, name=f"s{i + 1}", filters={}, shared=True)
    segment_save(actor=org.admin, name="all", filters={})
    SavedSegment.objects.filter(pk=first.pk).update(filters={})
    from workspace.segments.refresh import segment_refresh

    segment_refresh(segment=first)
    assert count(URL) == one_list
    assert count(f"{URL}{first.pk}/members/") == one_members
