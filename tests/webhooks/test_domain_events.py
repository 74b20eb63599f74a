"""Every event type of the catalog is sent by the service that makes it happen, after commit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.services import account_create, account_update
from health.alerts import activity_alert_resolve
from health.models import ActivityAlert
from health.nps import nps_response_record
from integrations.webhooks.delivery import deliveries_claim, deliveries_send
from integrations.webhooks.events import EVENT_TYPES, RESERVED_EVENT_TYPES
from integrations.webhooks.models import Delivery
from integrations.webhooks.services import endpoint_create
from playbooks.services import task_complete, task_create
from renewals.models import RenewalOpportunity
from renewals.services import contract_create, renewal_close, renewal_mark_at_risk
from tests.renewals.conftest import churn_reason

pytestmark = pytest.mark.django_db


@pytest.fixture
def all_events(org: Any, receiver: Any) -> Any:
    endpoint_create(
        name="All", url=receiver.url, actor=org.admin, event_types=list(set(EVENT_TYPES) - RESERVED_EVENT_TYPES)
    )
    return receiver


def _sent(receiver: Any) -> list[dict[str, Any]]:
    deliveries_send(deliveries_claim())
    return [request.json() for request in receiver.received]


def test_account_created_updated_and_owner_changed(org, all_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account = account_create(actor=org.admin, name="Nebula Tech", owner=org.csm_a1, arr=Decimal("50000"))
    with django_capture_on_commit_callbacks(execute=True):
        account_update(actor=org.admin, account=account, owner=org.csm_a2, name="Nebula Technology")
    sent = {body["type"]: body["data"] for body in _sent(all_events)}
    assert set(sent) == {"account.created", "account.updated", "account.owner_changed"}
    assert sent["account.created"]["account"]["name"] == "Nebula Tech"
    assert sent["account.updated"]["fields"] == ["name", "owner"]
    assert sent["account.owner_changed"]["previous_owner"]["username"] == "csm_a1"
    assert sent["account.owner_changed"]["owner"]["username"] == "csm_a2"


def test_task_created_and_completed(org, all_events, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    with django_capture_on_commit_callbacks(execute=True):
        task = task_create(actor=org.csm_a1, account=account, title="Kick-off call", due_date=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        task_complete(task=task, actor=org.csm_a1)
    sent = {body["type"]: body["data"] for body in _sent(all_events)}
    assert sent["task.created"]["task"]["title"] == "Kick-off call"
    assert sent["task.completed"]["task"]["status"] == "done" and sent["task.completed"]["task"]["completed_at"]


def _renewal(account: Any) -> RenewalOpportunity:
    contract = contract_create(
        actor=None, account=account, start_date=date.today() - timedelta(days=300),
        end_date=date.today() + timedelta(days=65), arr=Decimal("50000"),
    )  # fmt: skip
    return RenewalOpportunity.objects.get(contract=contract)


def test_renewal_at_risk_and_closed_churned(org, all_events, django_capture_on_commit_callbacks):
    renewal = _renewal(org.accounts["csm_a1"][0])
    with django_capture_on_commit_callbacks(execute=True):
        renewal = renewal_mark_at_risk(renewal=renewal, reason="Sponsor left", actor=org.csm_a1)
    with django_capture_on_commit_callbacks(execute=True):
        renewal_close(renewal=renewal, outcome="churned", actor=org.csm_a1, churn_reason=churn_reason())
    sent = {body["type"]: body["data"] for body in _sent(all_events)}
    assert sent["renewal.at_risk"]["reason"] == "Sponsor left"
    assert sent["renewal.closed"]["outcome"] == "churned" and sent["renewal.closed"]["status"] == "churned"


def test_renewal_renewed_is_won(org, all_events, django_capture_on_commit_callbacks):
    renewal = _renewal(org.accounts["csm_a1"][0])
    with django_capture_on_commit_callbacks(execute=True):
        renewal_close(renewal=renewal, outcome="renewed", actor=org.csm_a1, outcome_arr=Decimal("60000"))
    (body,) = _sent(all_events)
    assert body["data"]["outcome"] == "won" and Decimal(body["data"]["renewal"]["outcome_arr"]) == Decimal("60000")


def test_nps_response_and_alert_resolved(org, all_events, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    alert = ActivityAlert.objects.create(
        account=account, detected_on=timezone.localdate(), episode_key="e", current_events=1,
        baseline_events=Decimal(50), drop_share=Decimal("0.9"),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        nps_response_record(
            actor=org.csm_a1, account=account, score=9, responded_on=timezone.localdate(), comment="Great"
        )
    with django_capture_on_commit_callbacks(execute=True):
        activity_alert_resolve(alert=alert, actor=org.csm_a1, note="Training done")
    sent = {body["type"]: body["data"] for body in _sent(all_events)}
    assert sent["nps.response_received"]["response"]["score"] == 9
    assert sent["alert.activity_drop_resolved"]["alert"]["status"] == "resolved"


def test_a_rolled_back_change_sends_nothing(org, all_events, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        account_create(actor=org.admin, name="Never", owner=org.csm_a1)
        raise RuntimeError
    assert callbacks == [] and not Delivery.objects.exists()
