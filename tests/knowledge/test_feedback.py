"""Product feedback: one request, many accounts; an ARR-weighted board; status notifications."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import TimelineEntry
from core.models import Notification
from knowledge.models import FeedbackLink, FeedbackRequest, FeedbackStatus
from knowledge.selectors import feedback_board, get_request_for_user
from knowledge.services import feedback_merge, feedback_set_status
from tests.conftest import login
from tests.factories import AccountFactory

from .conftest import raise_for

pytestmark = pytest.mark.django_db


def _arr(account, amount):
    account.arr = Decimal(amount)
    account.save(update_fields=["arr"])
    return account


def test_linking_instead_of_duplicating_sums_accounts_and_arr(org):
    a1 = _arr(org.accounts["csm_a1"][0], "100000")
    b1 = _arr(org.accounts["csm_b1"][0], "40000")
    first = raise_for(a1, org.csm_a1, title="Bulk edit", problem="One by one", roi_estimate=Decimal("5000"))
    raise_for(b1, org.csm_b1, existing=first.request, urgency=4, roi_estimate=Decimal("7000"))
    assert FeedbackRequest.objects.count() == 1
    item = get_request_for_user(org.admin, first.request_id)
    assert (item.account_count, item.demand_arr, item.roi_total, item.top_urgency) == (
        2,
        Decimal("140000"),
        Decimal("12000"),
        4,
    )
    assert TimelineEntry.objects.filter(account=b1, kind="feedback_raised").exists()


def test_the_same_account_cannot_be_linked_twice(org):
    account = org.accounts["csm_a1"][0]
    link = raise_for(account, org.csm_a1, title="Bulk edit", problem="p")
    with pytest.raises(ValidationError) as error:
        raise_for(account, org.csm_a1, existing=link.request)
    assert "existing" in error.value.message_dict
    assert FeedbackLink.objects.count() == 1


def test_a_new_request_needs_title_and_problem_and_a_sane_roi(org):
    account = org.accounts["csm_a1"][0]
    with pytest.raises(ValidationError) as error:
        raise_for(account, org.csm_a1)
    assert set(error.value.message_dict) == {"title", "problem"}
    with pytest.raises(ValidationError) as error:
        raise_for(account, org.csm_a1, title="t", problem="p", roi_estimate=Decimal("-1"))
    assert "roi_estimate" in error.value.message_dict
    assert not FeedbackRequest.objects.exists()


def test_board_is_sorted_by_arr_weighted_demand(org):
    small = [_arr(AccountFactory(owner=org.csm_a1), "10000") for _ in range(3)]
    big = _arr(AccountFactory(owner=org.csm_a2), "500000")
    many = raise_for(small[0], org.csm_a1, title="Many small", problem="p", urgency=4)
    for account in small[1:]:
        raise_for(account, org.csm_a1, existing=many.request, urgency=4)
    raise_for(big, org.csm_a2, title="One big", problem="p", urgency=1)
    assert [r.title for r in feedback_board(user=org.admin)] == ["One big", "Many small"]


def test_csms_see_only_requests_linked_to_their_accounts(client, org):
    mine = raise_for(org.accounts["csm_a1"][0], org.csm_a1, title="Mine", problem="p")
    raise_for(org.accounts["csm_b1"][0], org.csm_b1, title="Theirs", problem="p")
    assert [r.title for r in feedback_board(user=org.csm_a1)] == ["Mine"]
    assert {r.title for r in feedback_board(user=org.manager_a)} == {"Mine", "Theirs"}
    # A CSM linked to a shared request sees it, but only their own account's row.
    raise_for(org.accounts["csm_b1"][1], org.csm_b1, existing=mine.request)
    login(client, org.csm_b1)
    page = client.get(reverse("knowledge:feedback_detail", args=[mine.request_id])).content.decode()
    assert org.accounts["csm_b1"][1].name in page and org.accounts["csm_a1"][0].name not in page
    assert 'data-testid="feedback-status-form"' not in page  # read only
    response = client.post(reverse("knowledge:feedback_status", args=[mine.request_id]), {"status": "planned"})
    assert response.status_code == 403
    assert FeedbackRequest.objects.get(pk=mine.request_id).status == FeedbackStatus.NEW


def test_status_change_notifies_each_linked_csm_once(org):
    link = raise_for(org.accounts["csm_a1"][0], org.csm_a1, title="Bulk edit", problem="p")
    for account in (org.accounts["csm_a1"][1], org.accounts["csm_b1"][0]):
        raise_for(account, account.owner, existing=link.request)
    raise_for(org.unassigned, org.admin, existing=link.request)  # no owner: nobody to notify
    feedback_set_status(actor=org.manager_a, request=link.request, status=FeedbackStatus.PLANNED, note="Q3")
    notes = Notification.objects.filter(kind="feedback_status")
    assert sorted(n.recipient.username for n in notes) == ["csm_a1", "csm_b1"]
    assert all("Planned" in n.title and n.body == "Q3" for n in notes)
    with pytest.raises(ValidationError):  # the same status again is refused, nothing sent
        feedback_set_status(actor=org.manager_a, request=link.request, status=FeedbackStatus.PLANNED)
    feedback_set_status(actor=org.manager_a, request=link.request, status=FeedbackStatus.SHIPPED)
    assert Notification.objects.filter(kind="feedback_status").count() == 4


def test_only_managers_change_status(org):
    link = raise_for(org.accounts["csm_a1"][0], org.csm_a1, title="t", problem="p")
    with pytest.raises(ValidationError):
        feedback_set_status(actor=org.csm_a1, request=link.request, status=FeedbackStatus.DECLINED)


def test_merge_moves_accounts_once(org):
    a = raise_for(org.accounts["csm_a1"][0], org.csm_a1, title="Bulk edit", problem="p")
    b = raise_for(org.accounts["csm_b1"][0], org.csm_b1, title="Edit many deals", problem="p")
    raise_for(org.accounts["csm_a1"][0], org.csm_a1, existing=b.request)  # on both
    feedback_merge(actor=org.manager_a, duplicate=b.request, into=a.request)
    assert sorted(FeedbackLink.objects.filter(request=a.request).values_list("account__name", flat=True)) == [
        org.accounts["csm_a1"][0].name,
        org.accounts["csm_b1"][0].name,
    ]
    assert [r.title for r in feedback_board(user=org.admin)] == ["Bulk edit"]
    with pytest.raises(ValidationError):
        feedback_merge(actor=org.manager_a, duplicate=b.request, into=a.request)
    # Linking to the merged duplicate lands on the surviving request.
    link = raise_for(org.accounts["csm_a2"][0], org.csm_a2, existing=FeedbackRequest.objects.get(pk=b.request_id))
    assert link.request_id == a.request_id


def test_raise_page_links_an_existing_request(client, org):
    existing = raise_for(org.accounts["csm_b1"][0], org.csm_b1, title="WeCom login", problem="p").request
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    similar = client.get(reverse("knowledge:feedback_similar"), {"title": "wecom"}).content.decode()
    assert "WeCom login" in similar
    response = client.post(
        reverse("knowledge:feedback_raise", args=[account.pk]),
        {"existing": existing.pk, "business_scenario": "Field reps", "urgency": 3, "roi_estimate": "2000"},
    )
    assert response.status_code == 302
    assert FeedbackRequest.objects.count() == 1 and existing.links.count() == 2
    bad = client.post(reverse("knowledge:feedback_raise", args=[account.pk]), {"urgency": 9, "roi_estimate": "x"})
    html = bad.content.decode()
    for name in ("business_scenario", "urgency", "roi_estimate"):
        assert f'data-testid="error-{name}"' in html


def _board_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("knowledge:feedback_board")).status_code == 200
    return len(ctx.captured_queries)


def test_board_query_count_is_constant(client, org):
    raise_for(org.accounts["csm_a1"][0], org.csm_a1, title="R0", problem="p")
    login(client, org.manager_a)
    one = _board_queries(client)
    for n in range(1, 20):
        link = raise_for(AccountFactory(owner=org.csm_a1), org.csm_a1, title=f"R{n}", problem="p")
        raise_for(AccountFactory(owner=org.csm_a2), org.csm_a2, existing=link.request)
    assert _board_queries(client) == one
