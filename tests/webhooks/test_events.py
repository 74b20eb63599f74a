"""Domain events become signed deliveries; notifications reach chat in the reader's language."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Stakeholder
from accounts.stakeholders import stakeholder_mark_left
from core.notifications import NotificationDraft, notification_send, notifications_send
from health.models import HealthScore
from health.scoring import health_scores_compute
from integrations.webhooks.delivery import deliveries_claim, deliveries_send
from integrations.webhooks.models import Delivery, Endpoint, Kind
from integrations.webhooks.services import endpoint_create
from org.models import CsProfile
from tests.webhooks.receiver import Receiver, signature_valid

pytestmark = pytest.mark.django_db


def _send_all() -> int:
    return deliveries_send(deliveries_claim())


def _colour_flip(account: Any) -> str:
    """Score yesterday, give that score another colour, and recalculate today."""
    today = timezone.localdate()
    health_scores_compute(account_ids=[account.pk], day=today - timedelta(days=1))
    computed = HealthScore.objects.get(account=account).colour
    other = "green" if computed != "green" else "red"
    HealthScore.objects.filter(account=account).update(colour=other)
    return other


def test_recalculation_sends_a_signed_colour_change(org, receiver, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    _endpoint, secret = endpoint_create(
        name="BI", url=receiver.url, actor=org.admin, event_types=["health.colour_changed"]
    )
    previous = _colour_flip(account)
    with django_capture_on_commit_callbacks(execute=True):
        health_scores_compute(account_ids=[account.pk, org.accounts["csm_a1"][1].pk])
    _send_all()
    (got,) = receiver.received  # the other account had no earlier score: no change to tell
    assert signature_valid(secret, got)
    data = got.json()["data"]
    assert data["account"]["id"] == account.pk and data["account"]["name"] == account.name
    assert data["previous_colour"] == previous and data["colour"] == HealthScore.objects.latest("day").colour
    assert data["account"]["url"] == f"https://hourglass.example/accounts/{account.pk}/"
    # Recomputing the same day with the same result queues nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        health_scores_compute(account_ids=[account.pk])
    assert Delivery.objects.count() == 1


def test_key_stakeholder_leaving_is_an_event_and_others_are_not(org, receiver, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    endpoint_create(name="CRM", url=receiver.url, actor=org.admin, event_types=["stakeholder.key_left"])
    key = Stakeholder.objects.create(account=account, name="Wang Wei", title="CIO", tier="S", key_level=1)
    other = Stakeholder.objects.create(account=account, name="Li Na", title="Analyst", tier="B", key_level=2)
    with django_capture_on_commit_callbacks(execute=True):
        stakeholder_mark_left(actor=org.csm_a1, stakeholder=key)
        stakeholder_mark_left(actor=org.csm_a1, stakeholder=other)
    _send_all()
    (got,) = receiver.received
    assert got.json()["type"] == "stakeholder.key_left"
    assert got.json()["data"]["stakeholder"]["name"] == "Wang Wei"


def _chinese(user: Any) -> None:
    CsProfile.objects.filter(user=user).update(language="zh-hans")


def test_feishu_card_in_chinese_for_a_chinese_user(org, receiver, django_capture_on_commit_callbacks):
    _chinese(org.csm_a1)
    target, _secret = endpoint_create(
        name="My Feishu",
        url=receiver.url,
        actor=org.csm_a1,
        kind=Kind.FEISHU,
        owner=org.csm_a1,
        notification_kinds=["activity_drop"],
        secret="feishu-signing-secret",
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipient=org.csm_a1, kind="activity_drop", title="活跃度下降：星河科技", body="近 7 天事件减少 60%",
            url="/accounts/1/",
        )  # fmt: skip
        notification_send(recipient=org.csm_a1, kind="renewal_reminder", title="not chosen", url="/")
    _send_all()
    (got,) = receiver.received
    body = got.json()
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"]["content"] == "活跃度下降：星河科技"
    button = card["elements"][1]["actions"][0]
    assert button["text"]["content"] == "在 Hourglass 中打开"
    assert button["url"] == "https://hourglass.example/accounts/1/"
    # Feishu's documented signature: base64(HMAC-SHA256(key="<timestamp>\n<secret>", msg="")).
    key = f"{body['timestamp']}\nfeishu-signing-secret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert Delivery.objects.get().endpoint == target


def test_team_dingtalk_robot_gets_its_members_notifications_signed(org, receiver, django_capture_on_commit_callbacks):
    endpoint_create(
        name="Team A DingTalk",
        url=receiver.url + "?access_token=abc",
        actor=org.admin,
        kind=Kind.DINGTALK,
        team=org.team_a,
        notification_kinds=["renewal_reminder"],
        secret="SECdingtalk",
    )
    drafts = [
        NotificationDraft(recipient=user, kind="renewal_reminder", title=f"Renewal for {user.username}", url="/r/")
        for user in (org.csm_a1, org.csm_a2, org.csm_b1)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        notifications_send(drafts)
    _send_all()
    titles = sorted(r.json()["actionCard"]["title"] for r in receiver.received)
    assert titles == ["Renewal for csm_a1", "Renewal for csm_a2"]  # team B's member is not in team A's chat
    got = receiver.received[0]
    query = parse_qs(urlsplit(got.path).query)
    timestamp, sign = query["timestamp"][0], query["sign"][0]
    mac = hmac.new(b"SECdingtalk", f"{timestamp}\nSECdingtalk".encode(), hashlib.sha256).digest()
    assert sign == base64.b64encode(mac).decode() and query["access_token"] == ["abc"]
    assert got.json()["actionCard"]["singleTitle"] == "Open in Hourglass"


@pytest.mark.parametrize("kind", [Kind.WECOM, Kind.SLACK])
def test_wecom_and_slack_formats(org, receiver: Receiver, kind, django_capture_on_commit_callbacks):
    endpoint_create(name="Chat", url=receiver.url, actor=org.csm_a1, kind=kind, owner=org.csm_a1,
                    notification_kinds=["activity_drop"])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=org.csm_a1, kind="activity_drop", title="Drop at Acme", body="-60%", url="/a/")
    _send_all()
    body = receiver.received[0].json()
    if kind == Kind.WECOM:
        assert body["msgtype"] == "markdown"
        assert (
            body["markdown"]["content"] == "**Drop at Acme**\n-60%\n[Open in Hourglass](https://hourglass.example/a/)"
        )
    else:
        assert (
            body["text"] == "Drop at Acme" and body["blocks"][1]["elements"][0]["url"] == "https://hourglass.example/a/"
        )


def test_chat_platform_error_in_a_200_is_a_failure(org, receiver, django_capture_on_commit_callbacks):
    receiver.answer_body = b'{"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}'
    endpoint_create(name="Feishu", url=receiver.url, actor=org.csm_a1, kind=Kind.FEISHU, owner=org.csm_a1,
                    notification_kinds=["activity_drop"], secret="wrong")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=org.csm_a1, kind="activity_drop", title="Drop", url="/a/")
    _send_all()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and "19021" in delivery.last_error


def test_secret_is_encrypted_at_rest(org, receiver):
    endpoint, secret = endpoint_create(name="BI", url=receiver.url, actor=org.admin, event_types=["task.created"])
    assert secret.startswith("whsec_") and len(secret) > 30
    stored = Endpoint.objects.values_list("secret_encrypted", flat=True).get(pk=endpoint.pk)
    assert secret not in stored and stored


def test_ssrf_guard_in_production(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:8000/x", "http://169.254.169.254/latest", "http://10.1.2.3/", "http://[::1]/",
                "http://localhost/", "http://[::ffff:127.0.0.1]/"):  # fmt: skip
        with pytest.raises(ValidationError, match="private, loopback or link-local"):
            endpoint_create(name="x", url=url, actor=org.admin, event_types=["task.created"])
    for url in ("ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)"):
        with pytest.raises(ValidationError, match="Only http and https"):
            endpoint_create(name="x", url=url, actor=org.admin, event_types=["task.created"])
    assert not Endpoint.objects.exists()


def test_ssrf_guard_checks_again_at_send_time(org, receiver, settings):
    """Registered while allowed (or DNS changed since): the resolved address is checked
    when sending, and the row fails without a request leaving."""
    from integrations.webhooks.events import Event
    from integrations.webhooks.services import events_record

    endpoint_create(name="BI", url=receiver.url, actor=org.admin, event_types=["task.created"])
    settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE = False
    events_record([Event("task.created", "t:1", {})])
    _send_all()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and "not allowed" in delivery.last_error
    assert receiver.received == []
