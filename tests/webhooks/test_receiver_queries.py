"""The webhook receivers are cheap: no query when nobody subscribed, and a constant number
of queries per batch when someone did (no N+1 on the accounts of alerts or firings)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Stakeholder
from health.models import ActivityAlert, NpsResponse
from integrations.webhooks import receivers
from integrations.webhooks.models import Delivery, Endpoint, Kind
from integrations.webhooks.receivers import SUBSCRIPTIONS_CACHE_KEY
from integrations.webhooks.services import endpoint_create, endpoint_delete, endpoint_update
from playbooks.models import Playbook, PlaybookStep, Task
from playbooks.services import FireRequest, playbooks_fire
from playbooks.signals import Firing, playbooks_fired
from renewals.models import RenewalOpportunity
from renewals.services import contract_create
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def _alerts(accounts: list[Any]) -> list[ActivityAlert]:
    for account in accounts:
        ActivityAlert.objects.create(
            account=account, detected_on=timezone.localdate(), episode_key="q", current_events=1,
            baseline_events=Decimal(50), drop_share=Decimal("0.9"),
        )  # fmt: skip
    # Fresh from the database, as a scan hands them over: their accounts are not loaded.
    return list(ActivityAlert.objects.filter(account__in=accounts).order_by("pk"))


def _calls(org: Any) -> dict[str, Any]:
    """Every receiver, with arguments as their senders pass them."""
    account = org.accounts["csm_a1"][0]
    stakeholder = Stakeholder.objects.create(account=account, name="Wang Wei", tier="S", key_level=1)
    (alert,) = _alerts([account])
    contract = contract_create(
        actor=None, account=account, start_date=date.today() - timedelta(days=300),
        end_date=date.today() + timedelta(days=65), arr=Decimal("50000"),
    )  # fmt: skip
    renewal = RenewalOpportunity.objects.get(contract=contract)
    task = Task.objects.create(account=account, assignee=org.csm_a1, title="t", due_date=timezone.localdate())
    response = NpsResponse.objects.create(account=account, score=3, responded_on=timezone.localdate())
    firing = Firing(playbook_id=1, account_id=account.pk, trigger="activity_drop", episode_key="x",
                    fired_at=timezone.now(), tasks=1)  # fmt: skip
    return {
        "stakeholder.key_left": lambda: receivers.on_stakeholder_left(
            None, stakeholder=stakeholder, account=account, is_key=True
        ),
        "alert.activity_drop_raised": lambda: receivers.on_activity_drops_detected(None, alerts=[alert]),
        "alert.activity_drop_resolved": lambda: receivers.on_activity_drop_resolved(None, alert=alert, account=account),
        "renewal.at_risk": lambda: receivers.on_renewal_marked_at_risk(None, renewal=renewal, reason="r"),
        "health.colour_changed": lambda: receivers.on_health_colours_changed(
            None, changes=[(account.pk, "green", "red", 30)], day=timezone.localdate()
        ),
        "account.created": lambda: receivers.on_account_created(None, account=account),
        "account.updated": lambda: receivers.on_account_updated(
            None, account=account, fields=["owner"], previous_owner_id=org.csm_a2.pk
        ),
        "task.created": lambda: receivers.on_tasks_created(None, task_ids=[task.pk]),
        "task.completed": lambda: receivers.on_task_completed(None, task=task),
        "renewal.closed": lambda: receivers.on_renewal_closed(None, renewal=renewal, outcome="renewed"),
        "nps.response_received": lambda: receivers.on_nps_response_received(None, response=response, account=account),
        "rule.fired": lambda: receivers.on_playbooks_fired(None, firings=[firing]),
        "notification": lambda: receivers.on_notifications_created(None, ids=[1], dedupe_keys=["k"]),
    }


def _queries(call: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_no_active_endpoint_no_query_at_all(org):
    calls = _calls(org)
    Endpoint.objects.create(name="Off", url="https://e.example/", event_types=["task.created"], active=False)
    assert _queries(calls["account.created"]) == 1  # the subscriptions, read once and cached
    assert {name: _queries(call) for name, call in calls.items()} == dict.fromkeys(calls, 0)
    assert not Delivery.objects.exists()


def test_unsubscribed_event_types_cost_no_query(org):
    calls = _calls(org)
    endpoint_create(name="Colours", url="https://e.example/", actor=org.admin, event_types=["health.colour_changed"])
    _queries(calls["account.created"])  # warms the cache
    others = {name: call for name, call in calls.items() if name != "health.colour_changed"}
    assert {name: _queries(call) for name, call in others.items()} == dict.fromkeys(others, 0)
    assert _queries(calls["health.colour_changed"]) > 0
    assert list(Delivery.objects.values_list("event_type", flat=True)) == ["health.colour_changed"]


def test_saving_or_deleting_an_endpoint_is_seen_at_once(org):
    calls = _calls(org)
    calls["account.created"]()  # cached: nobody wants anything
    endpoint, _secret = endpoint_create(name="A", url="https://e.example/", actor=org.admin,
                                        event_types=["account.created"])  # fmt: skip
    calls["account.created"]()
    assert Delivery.objects.filter(event_type="account.created").count() == 1
    endpoint_update(endpoint=endpoint, name="A", url="https://e.example/", active=True,
                    event_types=["account.updated"])  # fmt: skip
    Delivery.objects.all().delete()
    calls["account.created"]()
    calls["account.updated"]()
    assert list(Delivery.objects.values_list("event_type", flat=True)) == ["account.updated"]
    endpoint_delete(endpoint=endpoint)
    assert _queries(calls["account.updated"]) == 1  # read again: nobody left
    assert _queries(calls["account.updated"]) == 0


def test_a_chat_target_is_seen_at_once(org):
    calls = _calls(org)
    calls["notification"]()
    Endpoint.objects.create(name="Mine", kind=Kind.SLACK, url="https://hooks.slack.com/x", owner=org.csm_a1)
    assert _queries(calls["notification"]) > 1  # reads the notifications now


def test_what_another_process_cached_before_the_commit_is_dropped_after_it(org, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    calls = _calls(org)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        endpoint_create(name="A", url="https://e.example/", actor=org.admin, event_types=["account.created"])
        # Another worker read the endpoints before this commit and cached "nobody".
        cache.set(SUBSCRIPTIONS_CACHE_KEY, ([], False), 30)
    calls["account.created"]()
    assert Delivery.objects.filter(event_type="account.created").count() == 1


def test_a_cache_outage_falls_back_to_the_database(org, settings, caplog):
    calls = _calls(org)
    endpoint_create(name="A", url="https://e.example/", actor=org.admin, event_types=["account.created"])
    # A Redis cache nobody listens on: every cache call fails with a connection error.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # fmt: skip
    calls["account.created"]()
    assert Delivery.objects.filter(event_type="account.created").count() == 1
    assert "subscription cache unavailable" in caplog.text


@pytest.fixture
def subscribed_to_all(org: Any) -> None:
    from integrations.webhooks.events import EVENT_TYPES

    endpoint_create(name="All", url="https://e.example/", actor=org.admin, event_types=list(EVENT_TYPES))


def _accounts(org: Any, n: int) -> list[Any]:
    return [AccountFactory(owner=org.csm_a1, name=f"Q {n} {i}") for i in range(n)]


def test_alerts_raised_in_constant_queries(org, subscribed_to_all):
    one, many = _alerts(_accounts(org, 1)), _alerts(_accounts(org, 20))
    receivers.on_activity_drops_detected(None, alerts=[])  # warm the cache
    assert _queries(lambda: receivers.on_activity_drops_detected(None, alerts=one)) == _queries(
        lambda: receivers.on_activity_drops_detected(None, alerts=many)
    )
    assert Delivery.objects.filter(event_type="alert.activity_drop_raised").count() == 21
    # Alerts whose accounts are loaded already cost no query for them.
    loaded = list(ActivityAlert.objects.filter(pk__in=[a.pk for a in one]).select_related("account"))
    Delivery.objects.all().delete()
    unloaded_count = _queries(lambda: receivers.on_activity_drops_detected(None, alerts=one))
    Delivery.objects.all().delete()
    assert _queries(lambda: receivers.on_activity_drops_detected(None, alerts=loaded)) == unloaded_count - 1


def test_colour_changes_and_tasks_created_in_constant_queries(org, subscribed_to_all):
    small, large = _accounts(org, 1), _accounts(org, 20)
    receivers.on_account_created(None, account=small[0])  # warm the cache

    def colours(accounts: list[Any]) -> int:
        changes = [(a.pk, "green", "red", 30) for a in accounts]
        return _queries(lambda: receivers.on_health_colours_changed(None, changes=changes, day=date(2026, 12, 1)))

    assert colours(small) == colours(large)
    tasks = {len(accounts): [Task.objects.create(account=a, title="t", due_date=date(2026, 12, 1)).pk for a in accounts]
             for accounts in (small, large)}  # fmt: skip
    assert _queries(lambda: receivers.on_tasks_created(None, task_ids=tasks[1])) == _queries(
        lambda: receivers.on_tasks_created(None, task_ids=tasks[20])
    )
    assert Delivery.objects.filter(event_type="task.created").count() == 21


def test_rule_fired_in_constant_queries_for_a_sweep(org, subscribed_to_all, django_capture_on_commit_callbacks):
    playbook = Playbook.objects.create(name="Drop call", trigger="activity_drop")
    PlaybookStep.objects.create(playbook=playbook, order=0, title="Call", due_offset_days=1)
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Write", due_offset_days=2)
    today = timezone.localdate()
    captured: list[Firing] = []
    playbooks_fired.connect(lambda sender, firings, **kw: captured.extend(firings), weak=False, dispatch_uid="t")
    batches: dict[int, list[Firing]] = {}
    try:
        for n in (1, 20):
            captured.clear()
            requests = [FireRequest(account=a, trigger="activity_drop", episode_key=f"q:{n}", trigger_date=today)
                        for a in _accounts(org, n)]  # fmt: skip
            with django_capture_on_commit_callbacks(execute=True):
                playbooks_fire(requests, today=today)
            batches[n] = [f for f in captured if f.playbook_id == playbook.pk]
    finally:
        playbooks_fired.disconnect(dispatch_uid="t")
    assert [len(batches[1]), len(batches[20])] == [1, 20]
    assert {f.tasks for f in batches[20]} == {2}
    Delivery.objects.all().delete()
    assert _queries(lambda: receivers.on_playbooks_fired(None, firings=batches[1])) == _queries(
        lambda: receivers.on_playbooks_fired(None, firings=batches[20])
    )
    assert Delivery.objects.filter(event_type="rule.fired").count() == 21
