from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import RequestFactory

from accounts.filters import AccountFilter
from accounts.models import AccountStatus, IcpFit, Industry
from accounts.selectors import account_scope
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def run_filter(user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    filterset = AccountFilter(request.GET, queryset=account_scope(user=user), request=request)
    assert filterset.is_valid(), filterset.errors
    return [a.name for a in filterset.qs]


@pytest.fixture
def book(org):
    owner = org.csm_a1
    AccountFactory(owner=owner, name="Alpha Retail", industry=Industry.RETAIL, arr=Decimal(5_000))
    AccountFactory(
        owner=owner,
        name="Beta Bank",
        industry=Industry.FINANCE,
        arr=Decimal(500_000),
        icp_fit=IcpFit.EXPLORATORY,
        external_id="CRM-BETA",
    )
    AccountFactory(
        owner=owner,
        name="Gamma Labs",
        industry=Industry.INTERNET,
        arr=Decimal(80_000),
        status=AccountStatus.CHURNED,
        go_live_date=date(2024, 1, 1),
    )
    return org


def test_search_by_name_and_exact_external_id(book):
    assert run_filter(book.csm_a1, q="beta") == ["Beta Bank"]
    assert run_filter(book.csm_a1, q="crm-beta") == ["Beta Bank"]


def test_filter_by_segment_industry_icp_status(book, settings):
    user = book.csm_a1
    assert run_filter(user, segment="tech_touch") == ["Alpha Retail"]
    assert run_filter(user, segment=["enterprise", "tech_touch"]) == ["Alpha Retail", "Beta Bank"]
    assert run_filter(user, industry="finance") == ["Beta Bank"]
    assert run_filter(user, icp_fit="exploratory") == ["Beta Bank"]
    assert run_filter(user, status="churned") == ["Gamma Labs"]


def test_sorting_is_stable_and_by_requested_field(book):
    names = run_filter(book.csm_a1, ordering="-arr")
    assert names[0] == "Beta Bank"
    assert run_filter(book.csm_a1, ordering="-arr") == names


def test_owner_filter_only_offers_people_in_scope(book):
    request = RequestFactory().get("/", {"owner": book.csm_b1.pk})
    request.user = book.manager_a
    filterset = AccountFilter(request.GET, queryset=account_scope(user=book.manager_a), request=request)
    assert not filterset.is_valid()
    assert "owner" in filterset.errors
    offered = set(filterset.form.fields["owner"].queryset.values_list("username", flat=True))
    assert offered == {"manager_a", "csm_a1", "csm_a2"}


def test_invalid_choice_names_the_field(book):
    request = RequestFactory().get("/", {"segment": "whales"})
    request.user = book.csm_a1
    filterset = AccountFilter(request.GET, queryset=account_scope(user=book.csm_a1), request=request)
    assert not filterset.is_valid()
    assert "segment" in filterset.errors


def test_api_uses_the_same_filterset(client, book):
    client.force_login(book.csm_a1)
    data = client.get("/api/v1/accounts/", {"segment": "enterprise", "ordering": "-arr"}).json()
    assert [row["name"] for row in data["results"]] == ["Beta Bank"]
    assert data["results"][0]["segment"] == "enterprise"
    bad = client.get("/api/v1/accounts/", {"segment": "whales"})
    assert bad.status_code == 400
    assert "segment" in bad.json()
