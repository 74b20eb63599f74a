"""An old link to an account moved away from you: "moved to X on <date>", nothing more."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_update
from core.people import display_name

pytestmark = pytest.mark.django_db


def test_the_former_owner_sees_where_it_went_and_nothing_else(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    account_update(actor=org.manager_a, account=account, owner=org.csm_a2)
    client.force_login(org.csm_a1)
    for url in (reverse("accounts:detail", args=[account.pk]), reverse("accounts:edit", args=[account.pk])):
        response = client.get(url)
        text = response.content.decode()
        assert response.status_code == 404
        assert 'data-testid="account-moved"' in text
        day = timezone.localdate().isoformat()
        assert f"This account was moved to {display_name(org.csm_a2)} on {day}." in text
        assert account.name not in text  # the page reveals nothing else
    # A POST to it stays a plain 404 (no page for forms), like the API.
    assert "account-moved" not in client.post(reverse("accounts:edit", args=[account.pk])).content.decode()
    assert client.get(f"/api/v1/accounts/{account.pk}/").status_code == 404


def test_someone_who_never_owned_it_gets_the_plain_404(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    account_update(actor=org.manager_a, account=account, owner=org.csm_a2)
    for stranger in (org.csm_b1, org.manager_b):
        client.force_login(stranger)
        response = client.get(reverse("accounts:detail", args=[account.pk]))
        assert response.status_code == 404 and "account-moved" not in response.content.decode()
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:detail", args=[999999]))
    assert response.status_code == 404 and "account-moved" not in response.content.decode()


def test_a_former_owner_who_can_still_see_it_gets_the_page(client: Any, org: Any) -> None:
    """A 404 for something else on a visible account is not "moved"."""
    account = org.accounts["csm_a1"][0]
    account_update(actor=org.admin, account=account, owner=org.csm_a2)
    account_update(actor=org.admin, account=account, owner=org.csm_a1)
    client.force_login(org.csm_a1)
    assert client.get(reverse("accounts:detail", args=[account.pk])).status_code == 200
    missing = reverse("accounts:stakeholder_edit", args=[account.pk, 999999])
    response = client.get(missing)
    assert response.status_code == 404 and "account-moved" not in response.content.decode()


def test_moved_to_the_unassigned_queue(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    account_update(actor=org.admin, account=account, owner=None)
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 404 and "unassigned queue" in response.content.decode()


def test_an_id_beyond_64_bits_is_a_plain_404(client: Any, org: Any) -> None:
    client.force_login(org.csm_a1)
    response = client.get(f"/accounts/{'9' * 20}/")
    assert response.status_code == 404 and "account-moved" not in response.content.decode()
