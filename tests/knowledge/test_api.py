"""The knowledge API: same scope and services as the pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import Campaign, Case, CaseStatus, FeedbackLink, FeedbackRequest, FeedbackStatus
from knowledge.selectors import campaign_funnel, campaign_rows
from knowledge.services import campaign_create, campaign_launch, case_create
from tests.conftest import login

from .conftest import CASE_TEXT, approved_case, raise_for

pytestmark = pytest.mark.django_db


def test_account_cases_api_ranks_comparable_cases_first(client, org):
    account = org.accounts["csm_a1"][0]
    account.industry, account.arr = "retail", Decimal("20000")
    account.save()
    approved_case(org.csm_a2, org.manager_a, title="Group", size_band="5000_plus", arr_band="enterprise")
    approved_case(org.csm_a2, org.manager_a, title="Peer", size_band="1_50")
    login(client, org.csm_a1)
    data = client.get(reverse("api:knowledge-account-cases", args=[account.pk])).json()
    assert [(m["case"]["title"], m["far_larger"]) for m in data] == [("Peer", False), ("Group", True)]
    login(client, org.csm_b1)
    assert client.get(reverse("api:knowledge-account-cases", args=[account.pk])).status_code == 404


def test_case_api_hides_other_peoples_drafts(client, org):
    fields = {"industry": "retail", "size_band": "1_50", "arr_band": "smb", **CASE_TEXT}
    draft = case_create(actor=org.csm_a1, title="Draft", **fields)
    approved_case(org.csm_a2, org.manager_a, title="Library")
    login(client, org.csm_b1)
    titles = [c["title"] for c in client.get(reverse("api:knowledge-case-list")).json()["results"]]
    assert titles == ["Library"]
    assert client.get(reverse("api:knowledge-case-detail", args=[draft.pk])).status_code == 404
    assert Case.objects.filter(status=CaseStatus.APPROVED).count() == 1


def test_feedback_api_raise_link_and_status(client, org):
    login(client, org.csm_a1)
    account = org.accounts["csm_a1"][0]
    body = {"account": account.pk, "title": "Bulk edit", "problem": "p", "business_scenario": "s", "urgency": 3,
            "roi_estimate": "1500.00"}  # fmt: skip
    created = client.post(reverse("api:knowledge-feedback-list"), body, content_type="application/json")
    assert created.status_code == 201 and created.json()["account_count"] == 1
    request_id = created.json()["id"]
    again = client.post(
        reverse("api:knowledge-feedback-list"), {**body, "existing": request_id}, content_type="application/json"
    )
    assert again.status_code == 400 and "existing" in again.json()
    other = {**body, "account": org.accounts["csm_b1"][0].pk}
    assert (
        client.post(reverse("api:knowledge-feedback-list"), other, content_type="application/json").status_code == 404
    )
    status_url = reverse("api:knowledge-feedback-set-status", args=[request_id])
    assert client.post(status_url, {"status": "planned"}, content_type="application/json").status_code == 403
    login(client, org.manager_b)
    response = client.post(status_url, {"status": "planned"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == FeedbackStatus.PLANNED
    assert FeedbackLink.objects.count() == 1 and FeedbackRequest.objects.count() == 1


def test_feedback_list_api_query_count_is_constant(client, org):
    raise_for(org.accounts["csm_a1"][0], org.csm_a1, title="R0", problem="p")
    login(client, org.admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("api:knowledge-feedback-list")).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for n in range(1, 20):
        raise_for(org.accounts["csm_b1"][n % 2], org.csm_b1, title=f"R{n}", problem="p")
    assert count() == one


def test_campaign_api_funnel_is_scoped(client, org):
    campaign = campaign_create(actor=org.admin, name="c", feature="f", event_names=["x"])
    campaign_launch(actor=org.admin, campaign=campaign)
    login(client, org.csm_a1)
    data = client.get(reverse("api:knowledge-campaign-detail", args=[campaign.pk])).json()
    assert data["funnel"]["total"]["targeted"] == 2
    login(client, org.admin)
    data = client.get(reverse("api:knowledge-campaign-detail", args=[campaign.pk])).json()
    assert data["funnel"]["total"]["targeted"] == 6


def test_demo_seeds_cases_feedback_and_a_campaign(client, db):
    call_command("seed_demo", "--accounts", "60")
    assert Case.objects.filter(status=CaseStatus.APPROVED).count() >= 5
    assert Case.objects.filter(status=CaseStatus.SUBMITTED).exists()
    assert FeedbackRequest.objects.filter(status=FeedbackStatus.SHIPPED).exists()
    campaign = Campaign.objects.get()
    assert campaign.targets.exists() and campaign.feedback_request is not None
    manager = get_user_model().objects.get(username="manager")
    funnel = campaign_funnel(campaign=campaign, rows=list(campaign_rows(campaign=campaign, user=manager)))
    # Usage events from the health demo: some accounts use the feature, the rest stalled.
    assert 0 < funnel.total.using < funnel.total.targeted
    assert campaign.targets.filter(stall_task__isnull=False).count() == funnel.total.targeted - funnel.total.using
    login(client, manager)
    assert client.get(reverse("knowledge:campaign_detail", args=[campaign.pk])).status_code == 200
    assert client.get(reverse("knowledge:feedback_board")).status_code == 200
