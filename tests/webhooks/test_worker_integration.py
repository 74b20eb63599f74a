"""A real Celery worker delivering to a real loopback receiver: the recalculation's colour
change arrives signed within seconds, retried after two 500s; a SIGKILLed worker loses
nothing (each delivery arrives at least once, a repeat with the same delivery id)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from health.models import HealthScore
from health.scoring import health_scores_compute
from integrations.webhooks.events import Event
from integrations.webhooks.models import Delivery
from integrations.webhooks.services import CLAIM_LEASE, endpoint_create, events_record
from integrations.webhooks.tasks import deliver_due_task
from tests.conftest import login
from tests.integration.smtp import kill_worker
from tests.integration.workers import running_worker, tasks_routed_to, wait_for
from tests.webhooks.receiver import signature_valid

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "HOURGLASS_WEBHOOK_ALLOW_PRIVATE": "true",
    "HOURGLASS_WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    "HOURGLASS_WEBHOOK_TIMEOUT_SECONDS": "5",
    "HOURGLASS_BASE_URL": "https://hourglass.example",
}


def test_colour_change_reaches_the_receiver_signed_after_two_500s(org, receiver, client):
    account = org.accounts["csm_a1"][0]
    endpoint, secret = endpoint_create(
        name="BI", url=receiver.url, actor=org.admin, event_types=["health.colour_changed"]
    )
    health_scores_compute(account_ids=[account.pk], day=timezone.localdate() - timedelta(days=1))
    computed = HealthScore.objects.get(account=account).colour
    HealthScore.objects.filter(account=account).update(colour="green" if computed != "green" else "red")
    receiver.script = [500, 500]
    with running_worker(extra_env=WORKER_ENV) as worker, tasks_routed_to("webhooks.*", worker.queue):
        health_scores_compute(account_ids=[account.pk])  # commits: the signal queues, the worker sends
        got = receiver.wait_for(3, timeout=60)
        assert len(got) == 3, worker.logs()
        assert wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).exists(), timeout=30)
    assert all(signature_valid(secret, request) for request in got)
    assert {request.json()["type"] for request in got} == {"health.colour_changed"}
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3 and delivery.response_code == 200
    assert set(receiver.delivery_ids()) == {str(delivery.delivery_id)}
    login(client, org.admin)
    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert f'data-testid="delivery-{delivery.pk}" data-status="delivered"' in page
    assert '<td class="text-end" data-testid="attempts">3</td>' in page


def test_sigkilled_worker_mid_delivery_loses_nothing(org, receiver):
    expected = 30
    receiver.default = "slow:0.2"
    endpoint_create(name="BI", url=receiver.url, actor=org.admin, event_types=["task.created"])
    with running_worker(extra_env=WORKER_ENV) as worker, tasks_routed_to("webhooks.*", worker.queue):
        events_record([Event("task.created", f"kill:{n}", {"n": n}) for n in range(expected)])
        caught = wait_for(lambda: len(receiver.received) >= 3 and receiver.in_flight > 0, timeout=60)
        assert caught, worker.logs()
        kill_worker(worker.process.pid)
        worker.process.wait(timeout=10)
    assert 3 <= len(receiver.wait_for(4, timeout=2)) < expected
    stuck = Delivery.objects.filter(status=Delivery.Status.SENDING)
    stuck_count = stuck.count()
    assert stuck_count >= 1  # the dead worker's claim
    # Let the lease pass (rather than wait two minutes), then a fresh worker's sweep.
    stuck.update(claimed_at=timezone.now() - CLAIM_LEASE - timedelta(seconds=1))
    with running_worker(extra_env=WORKER_ENV) as worker:
        deliver_due_task.apply_async(queue=worker.queue)
        done = wait_for(
            lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == expected, timeout=90
        )
        assert done, worker.logs()
    ids = receiver.delivery_ids()
    rows = {str(pk): n for pk, n in Delivery.objects.values_list("delivery_id", "payload__data__n")}
    assert set(ids) == set(rows)  # every delivery arrived, at least once
    bodies = {(r.headers["hourglass-delivery"], r.json()["data"]["n"]) for r in receiver.received}
    assert bodies == set(rows.items())  # a repeat carries the same delivery id
    assert sum(ids.values()) - expected <= stuck_count  # repeats only of the dead worker's claim
