from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/accounts/", "/accounts/?ordering=-arr&segment=mid_market", "/api/v1/accounts/"])
def test_list_query_count_is_constant(client, org, url):
    client.force_login(org.manager_a)
    Account.objects.all().delete()
    AccountFactory(owner=org.csm_a1)
    one = count_queries(client, url)
    for i in range(19):
        AccountFactory(owner=org.csm_a1 if i % 2 else org.csm_a2)
    twenty = count_queries(client, url)
    assert one == twenty


def test_htmx_request_gets_only_the_table_partial(client, org):
    client.force_login(org.csm_a1)
    response = client.get("/accounts/?q=account", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "csm_a1 account 0" in body


def test_create_account_defaults_owner_to_the_csm(client, org):
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:create"),
        {"name": "New Co", "industry": "retail", "arr": "12000", "icp_fit": "target", "status": "onboarding"},
    )
    assert response.status_code == 302
    account = Account.objects.get(name="New Co")
    assert account.owner == org.csm_a1
    assert account.history.first().history_user == org.csm_a1


def test_csm_cannot_assign_account_to_someone_else(client, org):
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:create"),
        {
            "name": "Sneaky Co",
            "industry": "retail",
            "arr": "1",
            "icp_fit": "target",
            "status": "active",
            "owner": org.csm_b1.pk,
        },
    )
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not Account.objects.filter(name="Sneaky Co").exists()


def test_edit_validation_error_names_the_field_and_saves_nothing(client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]),
        {"name": "", "industry": "retail", "arr": "-5", "icp_fit": "target", "status": "active"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "arr" in errors
    account.refresh_from_db()
    assert account.name == "csm_a1 account 0"


def test_manager_edits_team_account_and_history_records_it(client, org):
    account = org.accounts["csm_a2"][0]
    client.force_login(org.manager_a)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]),
        {
            "name": "Renamed",
            "industry": "finance",
            "arr": "400000",
            "icp_fit": "target",
            "status": "active",
            "owner": org.csm_a1.pk,
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.owner, account.arr) == ("Renamed", org.csm_a1, Decimal("400000"))
    latest = account.history.first()
    assert latest.history_user == org.manager_a
    detail = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "manager_a" in detail or org.manager_a.get_full_name() in detail


def test_my_day_summarises_only_the_users_book(client, org):
    # Go-lives this week at one of csm_b1's accounts and at another CSM's.
    soon = timezone.localdate() + timedelta(days=3)
    Account.objects.filter(name__in=["csm_b1 account 0", "csm_a1 account 0"]).update(go_live_date=soon)
    client.force_login(org.csm_b1)
    response = client.get(reverse("my_day"))
    assert response.context["day"].tiles.accounts == 2
    body = response.content.decode()
    assert "csm_b1 account 0" in body
    assert "csm_a1 account 0" not in body


def test_zh_hans_ui_uses_domain_terms(client, org):
    client.force_login(org.csm_a1)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/"})
    body = client.get("/accounts/").content.decode()
    assert "客户" in body
    assert "精准客户" in body  # ICP fit "target customer" (domain.md §5)


def test_pagination_keeps_filters_and_targets_the_table(client, org):
    for i in range(55):
        AccountFactory(owner=org.csm_a1, name=f"Paged {i:02d}", industry="retail")
    client.force_login(org.csm_a1)
    body = client.get("/accounts/?industry=retail").content.decode()
    assert "Page 1 of 2" in body
    assert 'href="?industry=retail&page=2" hx-get="?industry=retail&page=2" hx-target="#account-table"' in body
    second = client.get("/accounts/?industry=retail&page=2", HTTP_HX_REQUEST="true").content.decode()
    assert second.count('data-testid="account-row"') == 5
