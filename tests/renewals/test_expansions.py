from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.models import TimelineEntry
from renewals.models import ExpansionOpportunity, ExpansionOwnerRole, ExpansionStage
from renewals.services import contract_create, expansion_create, expansion_owner_role
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db


def first_contract(account, start: date) -> None:
    contract_create(actor=None, account=account, start_date=start, end_date=date(start.year + 1, 1, 1), arr=100)


def test_owner_is_sales_in_the_first_months_then_the_csm(org, settings):
    account = org.accounts["csm_a1"][0]
    assert expansion_owner_role(account=account, on=date(2025, 1, 1)) == ExpansionOwnerRole.SALES  # no contract
    first_contract(account, date(2025, 1, 15))
    first_contract(account, date(2025, 6, 1))  # a later contract does not restart the clock
    assert expansion_owner_role(account=account, on=date(2025, 7, 14)) == ExpansionOwnerRole.SALES
    assert expansion_owner_role(account=account, on=date(2025, 7, 15)) == ExpansionOwnerRole.CSM  # 6 months on
    settings.HOURGLASS_EXPANSION_SALES_MONTHS = 12
    assert expansion_owner_role(account=account, on=date(2025, 7, 15)) == ExpansionOwnerRole.SALES
    assert expansion_owner_role(account=account, on=date(2026, 1, 15)) == ExpansionOwnerRole.CSM
    settings.HOURGLASS_EXPANSION_SALES_MONTHS = 2
    with pytest.raises(ImproperlyConfigured):
        expansion_owner_role(account=account, on=date(2025, 7, 15))


def test_create_stores_the_role_and_writes_the_timeline(org):
    account = org.accounts["csm_a1"][0]
    first_contract(account, date(2024, 1, 1))
    expansion = expansion_create(
        account=account, title="More seats", kind="upsell", amount=Decimal("5000"), actor=org.csm_a1,
        today=date(2025, 3, 1),
    )  # fmt: skip
    assert expansion.owner_role == ExpansionOwnerRole.CSM and expansion.created_by == org.csm_a1
    assert TimelineEntry.objects.filter(account=account, kind="expansion_created").count() == 1


def test_api_lists_creates_and_updates_in_scope(org, client):
    renewal = make_renewal(account=org.accounts["csm_a1"][0], days_left=30)
    url = f"/api/v1/renewals/{renewal.pk}/expansions/"
    client.force_login(org.csm_a1)
    assert client.get(url).json() == []
    created = client.post(
        url, {"title": "BI module", "kind": "cross_sell", "amount": "20000.00", "owner_role": "sales"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    # The first contract started in 2024, long past the six months that belong to sales.
    assert body["owner_role"] == "csm" and body["stage"] == "identified"
    assert client.post(url, {"title": "x", "kind": "bogus", "amount": "-1"}, content_type="application/json").json()
    patched = client.patch(url, {"id": body["id"], "stage": "won"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["stage"] == "won"
    assert [row["id"] for row in client.get(url).json()] == [body["id"]]

    other = make_renewal(account=org.accounts["csm_a2"][0], days_left=30)
    other_url = f"/api/v1/renewals/{other.pk}/expansions/"
    assert client.get(other_url).status_code == 404
    assert client.post(other_url, {"title": "x"}, content_type="application/json").status_code == 404
    # An id of another account's expansion is not found through this renewal.
    theirs = expansion_create(account=other.account, title="T", kind="upsell", amount=Decimal("1"), actor=None)
    mine_again = make_renewal(account=org.accounts["csm_a1"][1], days_left=30)
    hijack = client.patch(
        f"/api/v1/renewals/{mine_again.pk}/expansions/", {"id": theirs.pk, "stage": "lost"},
        content_type="application/json",
    )  # fmt: skip
    assert hijack.status_code == 404
    theirs.refresh_from_db()
    assert theirs.stage == ExpansionStage.IDENTIFIED


def test_page_form_and_lists_on_renewal_and_account(org, client):
    renewal = make_renewal(account=org.accounts["csm_a1"][0], days_left=30)
    client.force_login(org.csm_a1)
    url = f"/renewals/{renewal.pk}/expansions/"
    bad = client.post(url, {"title": "", "kind": "upsell", "amount": "10"})
    assert bad.status_code == 400 and "title" in bad.context["expansion_form"].errors
    ok = client.post(url, {"title": "Extra seats", "kind": "upsell", "amount": "10", "stage": "qualified"})
    assert ok.status_code == 302
    assert ExpansionOpportunity.objects.get().stage == ExpansionStage.QUALIFIED
    assert "Extra seats" in client.get(f"/renewals/{renewal.pk}/").content.decode()
    assert "Extra seats" in client.get(f"/accounts/{renewal.account_id}/").content.decode()
    client.force_login(org.csm_b1)
    assert client.post(url, {"title": "x", "kind": "upsell", "amount": "1"}).status_code == 404
    assert ExpansionOpportunity.objects.count() == 1
