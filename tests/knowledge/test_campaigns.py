"""Feature-adoption campaigns: targeting, rollout tasks, the funnel from real usage events,
and the stall sweep (idempotent)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import PurchasedProduct
from config.celery_app import app as celery_app
from health.services import events_ingest
from knowledge.models import Campaign, CampaignAccount, CampaignStatus
from knowledge.selectors import campaign_funnel, campaign_rows
from knowledge.services import campaign_close, campaign_create, campaign_launch, campaign_stall_sweep
from knowledge.tasks import campaign_stall_sweep_task
from playbooks.models import Task, TaskStatus
from playbooks.services import task_checklist_toggle
from tests.conftest import login
from tests.factories import AccountFactory

from .conftest import raise_for

pytestmark = pytest.mark.django_db


def _campaign(actor, **fields):
    values = {"name": "Bulk edit rollout", "feature": "Bulk edit", "event_names": ["deal.bulk_edit"], **fields}
    return campaign_create(actor=actor, **values)


def _use_feature(account, event_name="deal.bulk_edit", n=0):
    event = {
        "account_external_id": account.external_id,
        "occurred_at": timezone.now().isoformat(),
        "event_name": event_name,
        "user_id": "u1",
        "quantity": 1,
        "properties": {},
        "event_id": f"{account.pk}-{event_name}-{n}",
    }
    events_ingest(actor=account.owner, events=[event])


def test_launch_targets_by_industry_and_product_and_gives_each_owner_a_rollout_task(org):
    a1, a2 = org.accounts["csm_a1"]
    a1.industry = a2.industry = "retail"
    a1.save()
    a2.save()
    PurchasedProduct.objects.create(account=a1, product="CRM")
    campaign = _campaign(org.manager_a, industries=["retail"], products=["crm"])
    assert campaign_launch(actor=org.manager_a, campaign=campaign) == 1
    row = CampaignAccount.objects.get(campaign=campaign)
    assert row.account == a1 and row.task.assignee == org.csm_a1
    assert [item["text"] for item in row.task.checklist] == ["Value explained", "Training done", "First use confirmed"]
    with pytest.raises(ValidationError):  # a second launch does nothing
        campaign_launch(actor=org.manager_a, campaign=campaign)
    assert Task.objects.count() == 1


def test_manager_targets_only_their_team_and_requesters_are_included(org):
    link = raise_for(org.accounts["csm_a2"][0], org.csm_a2, title="Bulk edit", problem="p")
    campaign = _campaign(org.manager_a, feedback_request=link.request, industries=["energy"])
    campaign_launch(actor=org.manager_a, campaign=campaign)
    targeted = set(CampaignAccount.objects.values_list("account__owner__username", flat=True))
    assert targeted == {"csm_a2"}  # none is in energy, but csm_a2's account asked for it
    everyone = _campaign(org.manager_a, name="All of team A")
    campaign_launch(actor=org.manager_a, campaign=everyone)
    owners = set(CampaignAccount.objects.filter(campaign=everyone).values_list("account__owner__username", flat=True))
    assert owners == {"csm_a1", "csm_a2"}


def test_csms_cannot_create_or_launch(client, org):
    with pytest.raises(ValidationError):
        _campaign(org.csm_a1)
    campaign = _campaign(org.admin)
    login(client, org.csm_a1)
    assert client.post(reverse("knowledge:campaign_launch", args=[campaign.pk])).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_campaign_needs_an_event_name(client, org):
    login(client, org.manager_a)
    response = client.post(
        reverse("knowledge:campaign_create"), {"name": "x", "feature": "y", "event_names": " , ", "stall_days": 30}
    )
    assert 'data-testid="error-event_names"' in response.content.decode()
    response = client.post(
        reverse("knowledge:campaign_create"),
        {
            "name": "x",
            "feature": "y",
            "event_names": "deal.bulk_edit, deal.merge",
            "stall_days": 30,
            "segments": ["smb"],
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.event_names == ["deal.bulk_edit", "deal.merge"] and campaign.segments == ["smb"]


def test_funnel_per_csm_from_checklist_and_real_usage_events(org, celery_eager, django_capture_on_commit_callbacks):
    campaign = _campaign(org.manager_a)
    campaign_launch(actor=org.manager_a, campaign=campaign)
    rows = {r.account_id: r for r in CampaignAccount.objects.select_related("task")}
    a1, a1b = org.accounts["csm_a1"]
    a2 = org.accounts["csm_a2"][0]
    task_checklist_toggle(task=rows[a1.pk].task, index=0, done=True)
    task_checklist_toggle(task=rows[a1.pk].task, index=1, done=True)
    task_checklist_toggle(task=rows[a2.pk].task, index=0, done=True)
    with django_capture_on_commit_callbacks(execute=True):
        _use_feature(a1)
        _use_feature(a2, event_name="report.viewed")  # another feature: not adoption
    with django_capture_on_commit_callbacks(execute=True):
        _use_feature(a1b)  # used it without any training
    funnel = campaign_funnel(campaign=campaign, rows=list(campaign_rows(campaign=campaign, user=org.manager_a)))
    assert (funnel.total.targeted, funnel.total.informed, funnel.total.trained, funnel.total.using) == (4, 2, 1, 2)
    per_csm = {row.owner_id: (row.targeted, row.informed, row.trained, row.using) for row in funnel.by_csm}
    assert per_csm == {org.csm_a1.pk: (2, 1, 1, 2), org.csm_a2.pk: (2, 1, 0, 0)}
    # A CSM sees the funnel of their own accounts only.
    mine = campaign_funnel(campaign=campaign, rows=list(campaign_rows(campaign=campaign, user=org.csm_a2)))
    assert (mine.total.targeted, [r.owner_id for r in mine.by_csm]) == (2, [org.csm_a2.pk])


def test_stalled_accounts_get_one_follow_up_task_however_often_the_sweep_runs(
    org, celery_eager, django_capture_on_commit_callbacks
):
    campaign = _campaign(org.manager_a, stall_days=10)
    campaign_launch(actor=org.manager_a, campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        _use_feature(org.accounts["csm_a1"][0])
    assert campaign_stall_sweep() == 0  # not stalled yet: launched today
    later = timezone.now() + timedelta(days=11)
    assert campaign_stall_sweep(now=later) == 3  # the three accounts not using it
    assert campaign_stall_sweep(now=later) == 0
    stalled = Task.objects.filter(title__startswith="Adoption stalled")
    assert stalled.count() == 3
    assert set(stalled.values_list("assignee__username", flat=True)) == {"csm_a1", "csm_a2"}
    assert org.accounts["csm_a1"][0].pk not in set(stalled.values_list("account_id", flat=True))


def test_stall_sweep_task_runs_through_celery_and_is_scheduled(org, celery_eager):
    campaign = _campaign(org.admin, stall_days=1)
    campaign_launch(actor=org.admin, campaign=campaign)
    CampaignAccount.objects.update(targeted_at=timezone.now() - timedelta(days=2))
    first = campaign_stall_sweep_task.delay().get()
    again = campaign_stall_sweep_task.delay().get()
    assert first == CampaignAccount.objects.count() == 6 and again == 0  # the unassigned one is not targeted
    schedule = celery_app.conf.beat_schedule["knowledge-campaign-stall-sweep"]
    assert schedule["task"] == campaign_stall_sweep_task.name


def test_closed_campaigns_are_not_swept(org):
    campaign = _campaign(org.admin, stall_days=1)
    campaign_launch(actor=org.admin, campaign=campaign)
    campaign_close(actor=org.admin, campaign=campaign)
    assert campaign_stall_sweep(now=timezone.now() + timedelta(days=5)) == 0
    assert not Task.objects.filter(status=TaskStatus.OPEN, title__startswith="Adoption stalled").exists()


def _detail_queries(client, campaign):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("knowledge:campaign_detail", args=[campaign.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_campaign_detail_query_count_is_constant(client, org):
    campaign = _campaign(org.admin)
    campaign_launch(actor=org.admin, campaign=campaign)
    login(client, org.admin)
    few = _detail_queries(client, campaign)
    more = _campaign(org.admin, name="Bigger")
    for _ in range(20):
        AccountFactory(owner=org.csm_b1)
    campaign_launch(actor=org.admin, campaign=more)
    assert CampaignAccount.objects.filter(campaign=more).count() == 26
    assert _detail_queries(client, more) == few
