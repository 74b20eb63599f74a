"""The pages: create (secret shown once), validation, the delivery log, redeliver, chat robots."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.webhooks.models import Delivery, Endpoint, Kind
from integrations.webhooks.security import secret_decrypt
from integrations.webhooks.services import endpoint_create
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_admin_creates_an_endpoint_and_sees_the_secret_once(client, org):
    login(client, org.admin)
    response = client.post(
        reverse("webhooks:create"),
        {"name": "Data warehouse", "url": "https://hooks.example.com/hg", "active": "on",
         "event_types": ["health.colour_changed", "task.created"]},
    )  # fmt: skip
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint = Endpoint.objects.get()
    secret = secret_decrypt(endpoint.secret_encrypted)
    assert secret in response.content.decode()
    assert endpoint.event_types == ["health.colour_changed", "task.created"] and endpoint.created_by == org.admin
    # Never again: not on the detail page, not in the list.
    for url in (reverse("webhooks:detail", args=[endpoint.pk]), reverse("webhooks:list")):
        page = client.get(url).content.decode()
        assert "Data warehouse" in page and secret not in page and endpoint.secret_encrypted not in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "x", "url": "ftp://example.com/", "event_types": ["task.created"]}, "url"),
        ({"name": "x", "url": "https://example.com/", "event_types": ["no.such"]}, "event_types"),
        ({"name": "", "url": "https://example.com/", "event_types": ["task.created"]}, "name"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client, org, data, field):
    login(client, org.admin)
    response = client.post(reverse("webhooks:create"), data)
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not Endpoint.objects.exists()


def test_private_target_refused_in_production(client, org, settings):
    settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE = False
    login(client, org.admin)
    response = client.post(
        reverse("webhooks:create"), {"name": "x", "url": "http://169.254.169.254/", "event_types": ["task.created"]}
    )
    assert response.status_code == 400 and 'data-testid="error-url"' in response.content.decode()
    assert not Endpoint.objects.exists()


def _log_rows(endpoint: Endpoint, count: int) -> None:
    Delivery.objects.bulk_create(
        Delivery(endpoint=endpoint, dedupe_key=f"log:{endpoint.pk}:{n}", event_type="task.created", payload={},
                 status=Delivery.Status.FAILED, attempts=3, response_code=500, response_excerpt="boom")
        for n in range(count)
    )  # fmt: skip


@pytest.mark.parametrize("rows", [1, 20])
def test_delivery_log_in_constant_queries(client, org, rows, django_assert_max_num_queries):
    endpoint, secret = endpoint_create(
        name="BI", url="https://e.example/", actor=org.admin, event_types=["task.created"]
    )
    _log_rows(endpoint, rows)
    login(client, org.admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert page.count('data-testid="redeliver"') == rows and secret not in page
    assert 'data-status="failed"' in page and "boom" in page


@pytest.mark.parametrize("rows", [1, 20])
def test_endpoint_list_in_constant_queries(client, org, rows, django_assert_max_num_queries):
    for n in range(rows):
        endpoint_create(name=f"E{n}", url="https://e.example/", actor=org.admin, event_types=["task.created"])
    login(client, org.admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("webhooks:list")).content.decode()
    assert page.count('data-testid="endpoint-') == rows


def test_redeliver_from_the_log(client, org):
    endpoint, _ = endpoint_create(name="BI", url="https://e.example/", actor=org.admin, event_types=["task.created"])
    _log_rows(endpoint, 1)
    delivery = Delivery.objects.get()
    login(client, org.admin)
    response = client.post(reverse("webhooks:redeliver", args=[endpoint.pk, delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED and delivery.attempts == 0


def test_redeliver_of_another_endpoints_delivery_is_404(client, org):
    one, _ = endpoint_create(name="One", url="https://e.example/", actor=org.admin, event_types=["task.created"])
    two, _ = endpoint_create(name="Two", url="https://e.example/", actor=org.admin, event_types=["task.created"])
    _log_rows(two, 1)
    login(client, org.admin)
    response = client.post(reverse("webhooks:redeliver", args=[one.pk, Delivery.objects.get().pk]))
    assert response.status_code == 404 and Delivery.objects.get().status == Delivery.Status.FAILED


def test_csm_adds_their_own_chat_robot_and_nobody_else_sees_it(client, org):
    login(client, org.csm_a1)
    response = client.post(
        reverse("webhooks:chat"),
        {"name": "My Feishu", "kind": Kind.FEISHU, "url": "https://open.feishu.cn/open-apis/bot/v2/hook/x",
         "secret": "s3cret", "active": "on", "notification_kinds": ["activity_drop"]},
    )  # fmt: skip
    assert response.status_code == 302
    target = Endpoint.objects.get()
    assert target.owner == org.csm_a1 and target.team is None and secret_decrypt(target.secret_encrypted) == "s3cret"
    page = client.get(reverse("webhooks:chat_detail", args=[target.pk])).content.decode()
    assert "My Feishu" in page and "s3cret" not in page
    for other in (org.csm_a2, org.admin):
        login(client, other)
        assert client.get(reverse("webhooks:chat_detail", args=[target.pk])).status_code == 404
        assert "My Feishu" not in client.get(reverse("webhooks:chat")).content.decode()
    # A CSM cannot reach admin endpoints or team robots through the admin URLs.
    login(client, org.csm_a1)
    assert client.get(reverse("webhooks:detail", args=[target.pk])).status_code == 403


def test_admin_adds_a_team_robot(client, org):
    login(client, org.admin)
    response = client.post(
        reverse("webhooks:team_chat_create"),
        {"name": "Team A WeCom", "kind": Kind.WECOM, "team": org.team_a.pk, "active": "on",
         "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "notification_kinds": ["renewal_reminder"]},
    )  # fmt: skip
    target = Endpoint.objects.get()
    assert response.status_code == 302 and target.team == org.team_a and target.owner is None
    assert client.get(reverse("webhooks:detail", args=[target.pk])).status_code == 200


def test_chat_page_in_chinese(client, org):
    login(client, org.csm_a1)
    page = client.get(reverse("webhooks:chat"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的聊天机器人" in page


def test_integrations_in_the_navigation_for_admins_only(client, org):
    login(client, org.admin)
    assert f'href="{reverse("webhooks:list")}"' in client.get(reverse("webhooks:chat")).content.decode()
    login(client, org.manager_a)
    assert f'href="{reverse("webhooks:list")}"' not in client.get(reverse("webhooks:chat")).content.decode()


def test_event_catalog_api_and_payload_components_in_the_schema(client, org):
    login(client, org.admin)
    rows = client.get("/api/v1/webhooks/event-types").json()
    by_type = {row["type"]: row for row in rows}
    assert by_type["health.colour_changed"]["version"] == 1 and not by_type["health.colour_changed"]["reserved"]
    assert not by_type["rule.fired"]["reserved"] and "episode_key" in by_type["rule.fired"]["data_fields"]
    login(client, org.manager_a)
    assert client.get("/api/v1/webhooks/event-types").status_code == 403
    from drf_spectacular.generators import SchemaGenerator

    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    colour = components["WebhookHealthColourChangedEvent"]
    assert set(colour["required"]) >= {"id", "type", "version", "occurred_at", "delivery_id", "data"}
    assert components["WebhookHealthColourChangedData"]["properties"]["colour"]
    assert "WebhookPayload" in components and "WebhookRenewalClosedEvent" in components
