"""``rule.fired``: a playbook firing for an account reaches a real receiver, signed, once.

Today's rules are the playbooks: one event per playbook, account and episode that
created tasks, with those tasks; a sweep's firings arrive in one signal.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from integrations.webhooks.delivery import deliveries_claim, deliveries_send
from integrations.webhooks.models import Delivery, Endpoint
from integrations.webhooks.services import endpoint_create
from playbooks.defaults import install_default_playbooks
from playbooks.models import Playbook, PlaybookStep, Task, TriggerKind
from playbooks.services import playbook_fire
from playbooks.signals import playbooks_fired
from playbooks.stages import stage_refresh
from tests.conftest import login
from tests.factories import AccountFactory
from tests.webhooks.receiver import signature_valid

pytestmark = pytest.mark.django_db

GO_LIVE = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _default_playbooks(db: None) -> None:
    install_default_playbooks(Playbook, PlaybookStep)


def _sent(receiver: Any) -> list[Any]:
    deliveries_send(deliveries_claim())
    return list(receiver.received)


def test_a_stage_sweep_delivers_one_signed_rule_fired_with_its_tasks(org, receiver, django_capture_on_commit_callbacks):
    _endpoint, secret = endpoint_create(name="Ops", url=receiver.url, actor=org.admin, event_types=["rule.fired"])
    account = AccountFactory(owner=org.csm_a1, go_live_date=GO_LIVE)
    with django_capture_on_commit_callbacks(execute=True):
        result = stage_refresh(account_ids=[account.pk], today=GO_LIVE)
    assert result.tasks_created == 3
    (got,) = _sent(receiver)
    assert signature_valid(secret, got)
    assert got.headers["hourglass-event"] == "rule.fired"
    body = got.json()
    assert body["type"] == "rule.fired" and body["version"] == 1
    data = body["data"]
    playbook = Playbook.objects.get(key="promotion-month")
    assert data["rule"] == {"id": playbook.pk, "key": "promotion-month", "name": playbook.name,
                            "trigger": TriggerKind.STAGE_PROMOTION}  # fmt: skip
    assert data["account"]["id"] == account.pk and data["account"]["owner_id"] == org.csm_a1.pk
    assert data["episode_key"] == f"stage:promotion:{GO_LIVE.isoformat()}"
    tasks = Task.objects.filter(account=account, playbook=playbook)
    assert sorted(t["id"] for t in data["tasks"]) == sorted(tasks.values_list("pk", flat=True))
    assert {t["assignee_id"] for t in data["tasks"]} == {org.csm_a1.pk}
    assert data["fired_at"] == body["occurred_at"]


def test_a_repeated_sweep_delivers_nothing_twice(org, receiver, django_capture_on_commit_callbacks):
    endpoint_create(name="Ops", url=receiver.url, actor=org.admin, event_types=["rule.fired"])
    ids = [AccountFactory(owner=org.csm_a1, go_live_date=GO_LIVE).pk for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        stage_refresh(account_ids=ids, today=GO_LIVE)
    # The sweep's three firings went out in one signal, as three events.
    assert Delivery.objects.filter(event_type="rule.fired").count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert stage_refresh(account_ids=ids, today=GO_LIVE).tasks_created == 0  # same episode
        assert stage_refresh(account_ids=ids, today=GO_LIVE + timedelta(days=1)).tasks_created == 0
    assert Delivery.objects.filter(event_type="rule.fired").count() == 3
    got = _sent(receiver)
    assert len(got) == 3 and len(receiver.delivery_ids()) == 3
    assert sorted(r.json()["data"]["account"]["id"] for r in got) == sorted(ids)
    assert _sent(receiver) == got  # nothing left to send


def test_the_signal_sent_again_queues_nothing_new(org, receiver, django_capture_on_commit_callbacks):
    endpoint_create(name="Ops", url=receiver.url, actor=org.admin, event_types=["rule.fired"])
    account = org.accounts["csm_a1"][0]
    captured: list[Any] = []
    playbooks_fired.connect(lambda sender, firings, **kw: captured.extend(firings), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert playbook_fire(account=account, trigger=TriggerKind.ACTIVITY_DROP, episode_key="alert:9") == 1
    finally:
        playbooks_fired.disconnect(dispatch_uid="t")
    (firing,) = captured
    assert firing.account_id == account.pk and firing.trigger == TriggerKind.ACTIVITY_DROP and firing.tasks == 1
    playbooks_fired.send(sender=Playbook, firings=captured)
    playbooks_fired.send(sender=Playbook, firings=captured)
    (delivery,) = Delivery.objects.filter(event_type="rule.fired")
    (got,) = _sent(receiver)
    assert got.headers["hourglass-delivery"] == str(delivery.delivery_id)
    assert got.json()["data"]["episode_key"] == "alert:9" and len(got.json()["data"]["tasks"]) == 1


def test_an_endpoint_not_subscribed_or_inactive_gets_no_rule_fired(org, receiver, django_capture_on_commit_callbacks):
    endpoint_create(name="Tasks only", url=receiver.url, actor=org.admin, event_types=["task.created"])
    off, _secret = endpoint_create(name="Off", url=receiver.url + "/off", actor=org.admin, event_types=["rule.fired"])
    off.active = False
    off.save()
    account = org.accounts["csm_a1"][0]
    with django_capture_on_commit_callbacks(execute=True):
        playbook_fire(account=account, trigger=TriggerKind.ACTIVITY_DROP, episode_key="alert:1")
    got = _sent(receiver)
    assert {r.json()["type"] for r in got} == {"task.created"}
    assert not Delivery.objects.filter(event_type="rule.fired").exists()
    assert not Delivery.objects.filter(endpoint=off).exists()


def test_no_firing_when_no_playbook_created_a_task(org, receiver, django_capture_on_commit_callbacks):
    endpoint_create(name="Ops", url=receiver.url, actor=org.admin, event_types=["rule.fired"])
    Playbook.objects.filter(trigger=TriggerKind.ACTIVITY_DROP).update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            playbook_fire(account=org.accounts["csm_a1"][0], trigger=TriggerKind.ACTIVITY_DROP, episode_key="a:1") == 0
        )
    assert not Delivery.objects.exists()


def test_admins_can_subscribe_to_rule_fired_and_the_schema_documents_it(client, org):
    login(client, org.admin)
    response = client.post(
        reverse("webhooks:create"), {"name": "Rules", "url": "https://example.com/", "event_types": ["rule.fired"]}
    )
    assert response.status_code in (200, 302) and Endpoint.objects.get().event_types == ["rule.fired"]
    from drf_spectacular.generators import SchemaGenerator

    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    event = components["WebhookRuleFiredEvent"]
    assert set(event["required"]) >= {"id", "type", "version", "occurred_at", "delivery_id", "data"}
    data = components["WebhookRuleFiredData"]
    assert set(data["properties"]) == {"account", "rule", "episode_key", "tasks", "fired_at"}
    assert data["properties"]["tasks"]["type"] == "array"
    # Each type value names its envelope (receivers' generated parsers pick it by ``type``).
    mapping = components["WebhookPayload"]["discriminator"]["mapping"]
    assert mapping["rule.fired"].endswith("/WebhookRuleFiredEvent")
    assert mapping["health.colour_changed"].endswith("/WebhookHealthColourChangedEvent") and None not in mapping


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_daily_sweep_on_a_real_worker_sends_each_firing_once(org, receiver):
    """Twice the sweep, in chunks on a real worker: every firing arrives once, signed."""
    from django.db.models import Count

    from accounts.models import TimelineEntry
    from core.clock import local_date
    from playbooks.models import AccountStage, TaskStatus
    from playbooks.tasks import stage_sweep_task
    from tests.integration.workers import running_worker, wait_for

    today = local_date()
    accounts = [AccountFactory(owner=org.csm_a1, go_live_date=today - timedelta(days=(5, 45)[i % 2])) for i in range(6)]
    # Saving the accounts queued refreshes no worker listens to: the sweep writes the stages.
    AccountStage.objects.all().delete()
    Task.objects.all().delete()
    TimelineEntry.objects.filter(kind="stage_changed").delete()
    _endpoint, secret = endpoint_create(name="Ops", url=receiver.url, actor=org.admin, event_types=["rule.fired"])

    def mark() -> None:
        """A snoozed task per account, woken by its chunk: none left = every chunk ran."""
        for account in accounts:
            Task.objects.create(account=account, title="marker", due_date=today, status=TaskStatus.SNOOZED,
                                snoozed_until=today)  # fmt: skip

    def swept() -> bool:
        return not Task.objects.filter(status=TaskStatus.SNOOZED).exists()

    # A cache of its own: the worker must not read subscriptions another test's worker cached.
    env = {"HOURGLASS_WEBHOOK_ALLOW_PRIVATE": "true", "HOURGLASS_BASE_URL": "https://hourglass.example",
           "HOURGLASS_STAGE_SWEEP_CHUNK": "2", "CACHE_URL": "locmemcache://"}  # fmt: skip
    with running_worker(extra_env=env) as worker:
        mark()
        stage_sweep_task.apply_async(queue=worker.queue)
        assert wait_for(swept, timeout=120), worker.logs()
        firings = list(
            Task.objects.exclude(title="marker")
            .values("playbook", "account", "episode_key")
            .annotate(n=Count("pk"))
            .order_by()
        )
        expected = len(firings)
        assert expected >= len(accounts)  # each account entered a stage with a playbook
        assert len(receiver.wait_for(expected, timeout=60)) == expected, worker.logs()
        mark()
        stage_sweep_task.apply_async(queue=worker.queue)
        assert wait_for(swept, timeout=120), worker.logs()
        assert wait_for(lambda: not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists(), timeout=30)
    got = receiver.wait_for(expected + 1, timeout=2)
    assert len(got) == expected == Delivery.objects.count()
    assert all(signature_valid(secret, request) for request in got)
    bodies = [request.json()["data"] for request in got]
    sent = {(data["rule"]["id"], data["account"]["id"], data["episode_key"]) for data in bodies}
    assert sent == {(f["playbook"], f["account"], f["episode_key"]) for f in firings}
