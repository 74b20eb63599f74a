"""Issue 21, defect 5: a product request's totals count only the viewer's accounts.

A company-wide ``demand_arr`` minus one's own ARR would reveal the ARR of another
CSM's account. Page, API and the "similar requests" suggestions all show the figures
of the viewer's scope; an admin's scope is every account, so the admin's board is the
company-wide one.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from knowledge.selectors import duplicate_candidates, feedback_board, get_request_for_user
from tests.conftest import login
from tests.knowledge.conftest import raise_for

pytestmark = pytest.mark.django_db


def _arr(account, amount):
    account.arr = Decimal(amount)
    account.save(update_fields=["arr"])
    return account


@pytest.fixture
def shared_request(org):
    """One request linked to csm_a1's account (¥100k) and csm_b1's account (¥40k, team B)."""
    mine = _arr(org.accounts["csm_a1"][0], "100000")
    theirs = _arr(org.accounts["csm_b1"][0], "40000")
    link = raise_for(mine, org.csm_a1, title="Bulk edit accounts", problem="p", roi_estimate=Decimal("5000"))
    raise_for(theirs, org.csm_b1, existing=link.request, urgency=4, roi_estimate=Decimal("7000"))
    return link.request


def _figures(item):
    return item.account_count, item.demand_arr, item.roi_total, item.top_urgency


def test_a_csm_sees_only_their_own_accounts_in_the_totals(org, shared_request):
    item = get_request_for_user(org.csm_a1, shared_request.pk)
    assert _figures(item) == (1, Decimal("100000"), Decimal("5000"), 2)
    [row] = feedback_board(user=org.csm_b1)
    assert _figures(row) == (1, Decimal("40000"), Decimal("7000"), 4)


def test_a_manager_sees_their_teams_accounts_and_an_admin_everything(org, shared_request):
    assert _figures(get_request_for_user(org.manager_a, shared_request.pk)) == (
        1,
        Decimal("100000"),
        Decimal("5000"),
        2,
    )
    assert _figures(get_request_for_user(org.manager_b, shared_request.pk)) == (1, Decimal("40000"), Decimal("7000"), 4)
    assert _figures(get_request_for_user(org.admin, shared_request.pk)) == (2, Decimal("140000"), Decimal("12000"), 4)


def test_the_api_list_and_detail_show_the_scoped_totals(client, org, shared_request):
    login(client, org.csm_a1)
    [row] = client.get(reverse("api:knowledge-feedback-list")).json()["results"]
    assert (row["account_count"], Decimal(row["demand_arr"]), Decimal(row["roi_total"])) == (
        1,
        Decimal("100000"),
        Decimal("5000"),
    )
    detail = client.get(reverse("api:knowledge-feedback-detail", args=[shared_request.pk])).json()
    assert (detail["account_count"], Decimal(detail["demand_arr"])) == (1, Decimal("100000"))
    assert [link["account"] for link in detail["links"]] == [org.accounts["csm_a1"][0].pk]


def test_the_pages_show_the_scoped_totals(client, org, shared_request):
    login(client, org.csm_a1)
    board = client.get(reverse("knowledge:feedback_board")).content.decode()
    detail = client.get(reverse("knowledge:feedback_detail", args=[shared_request.pk])).content.decode()
    for page in (board, detail):
        assert "140,000" not in page and "140000" not in page
    assert 'data-testid="feedback-accounts">1<' in detail


def test_similar_requests_count_only_the_viewers_accounts(client, org, shared_request):
    [candidate] = duplicate_candidates(text="Bulk edit", user=org.csm_a2)
    assert candidate.account_count == 0
    login(client, org.csm_a2)
    page = client.get(reverse("knowledge:feedback_similar"), {"title": "Bulk edit"}).content.decode()
    assert "2 accounts" not in page
