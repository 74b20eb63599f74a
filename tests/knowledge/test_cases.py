"""The best-practice case library: authoring, approval, search, sharing with a customer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import TimelineEntry
from core.models import Notification
from knowledge.models import Case, CaseShare, CaseStatus
from knowledge.selectors import case_list, case_review_queue
from knowledge.services import case_create, case_review, case_share, case_submit, case_update
from tests.conftest import login

from .conftest import CASE_TEXT, approved_case

pytestmark = pytest.mark.django_db

FIELDS = {"industry": "retail", "size_band": "51_200", "arr_band": "smb", **CASE_TEXT}


def test_draft_submit_approve_notifies_the_author(org):
    case = case_create(actor=org.csm_a1, title="Pipeline review", products="CRM, crm , Mobile", **FIELDS)
    assert case.status == CaseStatus.DRAFT and case.products == ["CRM", "Mobile"]
    case_submit(case=case, actor=org.csm_a1)
    assert [c.pk for c in case_review_queue(user=org.manager_a)] == [case.pk]
    assert case_review_queue(user=org.manager_b) == []
    case_review(case=case, actor=org.manager_a, approve=True, comment="Great one")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.reviewed_by == org.manager_a
    note = Notification.objects.get(recipient=org.csm_a1, kind="case_reviewed")
    assert "Pipeline review" in note.title and note.url.endswith(reverse("knowledge:case_detail", args=[case.pk]))
    # Now in the shared library: every CSM reads it, in every team.
    assert case_list(user=org.csm_b1).filter(pk=case.pk).exists()


def test_rejection_needs_a_reason_and_the_author_can_rework(org):
    case = case_create(actor=org.csm_a1, title="Thin", **FIELDS)
    case_submit(case=case, actor=org.csm_a1)
    with pytest.raises(ValidationError) as error:
        case_review(case=case, actor=org.manager_a, approve=False, comment=" ")
    assert "comment" in error.value.message_dict
    case_review(case=case, actor=org.manager_a, approve=False, comment="Say what the result was in numbers.")
    assert Notification.objects.filter(recipient=org.csm_a1, body__contains="numbers").exists()
    case = case_update(case=case, actor=org.csm_a1, result="Churn down from 12% to 4%.")
    assert case.status == CaseStatus.DRAFT
    case_submit(case=case, actor=org.csm_a1)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_who_may_review(org):
    case = case_create(actor=org.csm_a1, title="Mine", **FIELDS)
    case_submit(case=case, actor=org.csm_a1)
    for stranger in (org.csm_a1, org.csm_a2, org.manager_b):
        with pytest.raises(ValidationError):
            case_review(case=case, actor=stranger, approve=True)
    case_review(case=case, actor=org.admin, approve=True)
    with pytest.raises(ValidationError):  # twice: no longer waiting
        case_review(case=case, actor=org.manager_a, approve=True)


def test_drafts_are_private_to_the_author(org):
    case = case_create(actor=org.csm_a1, title="Draft", **FIELDS)
    assert case_list(user=org.csm_a1).filter(pk=case.pk).exists()
    for other in (org.csm_a2, org.csm_b1, org.manager_a, org.manager_b):
        assert not case_list(user=other).filter(pk=case.pk).exists()
    with pytest.raises(ValidationError):
        case_update(case=case, actor=org.csm_a2, title="Hijack")


def test_sharing_logs_a_touchpoint_on_the_account_timeline(org):
    case = approved_case(org.csm_a2, org.manager_a, title="Store champions")
    account = org.accounts["csm_a1"][0]
    case_share(case=case, account=account, actor=org.csm_a1, kind="meeting", note="Shown in the QBR")
    entry = TimelineEntry.objects.get(account=account, is_touchpoint=True)
    assert entry.kind == "meeting" and "Store champions" in entry.title and entry.actor == org.csm_a1
    assert CaseShare.objects.filter(case=case, account=account).count() == 1


def test_a_draft_cannot_be_shared(org):
    case = case_create(actor=org.csm_a1, title="Draft", **FIELDS)
    with pytest.raises(ValidationError):
        case_share(case=case, account=org.accounts["csm_a1"][0], actor=org.csm_a1)
    assert not TimelineEntry.objects.filter(is_touchpoint=True).exists()


def test_share_page_on_someone_elses_account_is_404_and_logs_nothing(client, org):
    case = approved_case(org.csm_a2, org.manager_a, title="Store champions")
    login(client, org.csm_b1)
    url = reverse("knowledge:case_share", args=[org.accounts["csm_a1"][0].pk, case.pk])
    assert client.post(url, {"kind": "email"}).status_code == 404
    assert not CaseShare.objects.exists()


def test_share_from_the_account_panel(client, org):
    case = approved_case(org.csm_a2, org.manager_a, title="Store champions")
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    panel = client.get(reverse("knowledge:account_cases", args=[account.pk]))
    assert "Store champions" in panel.content.decode()
    response = client.post(reverse("knowledge:case_share", args=[account.pk, case.pk]), {"kind": "email", "note": "x"})
    assert 'data-testid="share-done"' in response.content.decode()
    assert TimelineEntry.objects.filter(account=account, is_touchpoint=True, kind="email").count() == 1
    bad = client.post(reverse("knowledge:case_share", args=[account.pk, case.pk]), {"kind": "carrier-pigeon"})
    assert 'data-testid="share-error"' in bad.content.decode()


def test_company_size_form_on_the_account_panel(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    client.post(reverse("knowledge:account_size", args=[account.pk]), {"size_band": "201_1000"})
    assert account.company_size.size_band == "201_1000"
    response = client.post(reverse("knowledge:account_size", args=[account.pk]), {"size_band": "huge"})
    assert "Choose a company size." in response.content.decode()


def test_create_page_names_the_missing_fields(client, org):
    login(client, org.csm_a1)
    response = client.post(reverse("knowledge:case_create"), {"title": "Only a title"})
    html = response.content.decode()
    for name in ("industry", "size_band", "arr_band", "problem", "approach", "result"):
        assert f'data-testid="error-{name}"' in html
    assert not Case.objects.exists()
    ok = client.post(reverse("knowledge:case_create"), {"title": "Full", **FIELDS, "products": "CRM, OA"})
    case = Case.objects.get()
    assert ok.status_code == 302 and case.products == ["CRM", "OA"] and case.author == org.csm_a1


def test_list_search_and_filters(client, org):
    approved_case(
        org.csm_a1, org.manager_a, title="Clinic questionnaires", industry="healthcare", products=["Questionnaire"]
    )
    approved_case(org.csm_a1, org.manager_a, title="Retail champions", result="Visits up 80%")
    login(client, org.csm_b1)
    url = reverse("knowledge:case_list")
    assert "Clinic questionnaires" in client.get(url, {"industry": "healthcare"}).content.decode()
    assert "Retail champions" not in client.get(url, {"industry": "healthcare"}).content.decode()
    assert "Retail champions" in client.get(url, {"q": "visits 80%"}).content.decode()
    by_product = client.get(url, {"product": "questionnaire"}).content.decode()
    assert "Clinic questionnaires" in by_product and "Retail champions" not in by_product


def _count_list_queries(client, user):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("knowledge:case_list"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_case_list_query_count_is_constant(client, org):
    approved_case(org.csm_a1, org.manager_a, title="Case 0")
    login(client, org.csm_b1)
    one = _count_list_queries(client, org.csm_b1)
    for n in range(1, 20):
        approved_case(org.csm_a1, org.manager_a, title=f"Case {n}")
    assert _count_list_queries(client, org.csm_b1) == one


def test_review_through_the_page(client, org):
    case = case_create(actor=org.csm_a1, title="To review", **FIELDS)
    login(client, org.csm_a1)
    client.post(reverse("knowledge:case_submit", args=[case.pk]))
    login(client, org.manager_a)
    assert "To review" in client.get(reverse("knowledge:review_queue")).content.decode()
    client.post(reverse("knowledge:case_review", args=[case.pk]), {"decision": "reject", "comment": ""})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED  # a reason is required
    client.post(reverse("knowledge:case_review", args=[case.pk]), {"decision": "approve", "comment": ""})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


def test_product_filter_finds_chinese_product_names(client, org):
    approved_case(org.csm_a1, org.manager_a, title="WeCom rollout", products=["企业微信"])
    approved_case(org.csm_a1, org.manager_a, title="CRM only", products=["CRM"])
    login(client, org.csm_a2)
    html = client.get(reverse("knowledge:case_list"), {"product": "企业微信"}).content.decode()
    assert "WeCom rollout" in html and "CRM only" not in html


def test_only_reviewers_get_the_approval_queue_link(client, org):
    queue = reverse("knowledge:review_queue")
    login(client, org.csm_a1)
    assert queue not in client.get(reverse("knowledge:case_list")).content.decode()
    assert client.get(queue).status_code == 404
    login(client, org.manager_a)
    assert queue in client.get(reverse("knowledge:case_list")).content.decode()
