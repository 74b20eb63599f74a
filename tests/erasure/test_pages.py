"""The export and erasure pages: admins only, the typed name, 404 across accounts."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import ErasureRecord, Stakeholder
from accounts.privacy import ERASED_NAME
from core.tokens import api_token_issue

from .conftest import NAME, World

pytestmark = pytest.mark.django_db


def _urls(account_pk: int, stakeholder_pk: int) -> dict[str, str]:
    base = f"/accounts/{account_pk}/stakeholders/{stakeholder_pk}"
    return {"export": f"{base}/personal-data.json", "erase": f"{base}/erase/"}


def test_admin_sees_both_actions_on_the_edit_page(client: Any, org: Any, world: World) -> None:
    page = f"/accounts/{world.account.pk}/stakeholders/{world.person.pk}/edit/"
    client.force_login(org.admin)
    html = client.get(page).content.decode()
    assert "Export personal data" in html and "Erase personal data" in html
    for role in ("manager_a", "csm_a1"):
        client.force_login(getattr(org, role))
        html = client.get(page).content.decode()
        assert "Erase personal data" not in html and "personal-data.json" not in html


def test_erase_page_warns_and_confirms_by_name(client: Any, org: Any, world: World) -> None:
    urls = _urls(world.account.pk, world.person.pk)
    client.force_login(org.admin)
    page = client.get(urls["erase"])
    assert page.status_code == 200 and 'data-testid="erase-warning"' in page.content.decode()
    wrong = client.post(urls["erase"], {"confirm_name": "Wendy"})
    assert wrong.status_code == 200
    assert 'data-field-error="confirm_name"' in wrong.content.decode()
    assert Stakeholder.objects.get(pk=world.person.pk).name == NAME and not ErasureRecord.objects.exists()
    empty = client.post(urls["erase"], {})
    assert 'data-field-error="confirm_name"' in empty.content.decode()
    done = client.post(urls["erase"], {"confirm_name": NAME})
    assert done.status_code == 302 and done["Location"] == f"/accounts/{world.account.pk}/"
    assert Stakeholder.objects.get(pk=world.person.pk).name == ERASED_NAME
    again = client.get(urls["erase"])
    assert 'data-testid="already-erased"' in again.content.decode()
    twice = client.post(urls["erase"], {"confirm_name": ERASED_NAME})
    assert twice.status_code == 302 and ErasureRecord.objects.count() == 1


@pytest.mark.parametrize("role", ["manager_a", "manager_b", "csm_a1", "csm_a2", "csm_b1"])
def test_managers_and_csms_get_403_and_nothing_changes(client: Any, org: Any, world: World, role: str) -> None:
    urls = _urls(world.account.pk, world.person.pk)
    client.force_login(getattr(org, role))
    assert client.get(urls["export"]).status_code == 403
    assert client.get(urls["erase"]).status_code == 403
    assert client.post(urls["erase"], {"confirm_name": NAME}).status_code == 403
    assert client.get(f"/api/v1/stakeholders/{world.person.pk}/personal-data/").status_code == 403
    assert Stakeholder.objects.get(pk=world.person.pk).name == NAME and not ErasureRecord.objects.exists()


def test_anonymous_is_sent_to_login(client: Any, world: World) -> None:
    urls = _urls(world.account.pk, world.person.pk)
    for response in (client.get(urls["export"]), client.post(urls["erase"], {"confirm_name": NAME})):
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(f"/api/v1/stakeholders/{world.person.pk}/personal-data/").status_code in (401, 403)
    assert Stakeholder.objects.get(pk=world.person.pk).name == NAME


def test_another_accounts_stakeholder_in_the_url_is_404(client: Any, org: Any, world: World) -> None:
    other_account = org.accounts["csm_b1"][0]
    client.force_login(org.admin)
    for url in _urls(other_account.pk, world.person.pk).values():
        assert client.get(url).status_code == 404
    assert client.post(_urls(other_account.pk, world.person.pk)["erase"], {"confirm_name": NAME}).status_code == 404
    for url in _urls(world.account.pk, 999_999).values():
        assert client.get(url).status_code == 404
    assert Stakeholder.objects.get(pk=world.person.pk).name == NAME


def test_api_takes_an_admin_token_only(org: Any, world: World) -> None:
    from django.test import Client

    url = f"/api/v1/stakeholders/{world.person.pk}/personal-data/"
    for user, expected in ((org.admin, 200), (org.manager_a, 403), (org.csm_a1, 403)):
        client = Client(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)}")
        response = client.get(url)
        assert response.status_code == expected, user
        assert response["Content-Type"].startswith("application/json")
    assert Client(HTTP_AUTHORIZATION="Token not-a-token").get(url).status_code in (401, 403)
