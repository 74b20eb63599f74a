"""The scope rule, applied to pages and API alike: prove denial, not just access."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.selectors import account_scope, get_account_for_user

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(a.name for a in qs)


def test_csm_sees_only_own_accounts(org):
    assert names(account_scope(user=org.csm_a1)) == ["csm_a1 account 0", "csm_a1 account 1"]


def test_manager_sees_own_team_not_other_team(org):
    visible = names(account_scope(user=org.manager_a))
    assert visible == sorted(a.name for u in ("csm_a1", "csm_a2") for a in org.accounts[u])
    assert not set(visible) & {a.name for a in org.accounts["csm_b1"]}


def test_admin_sees_everything_including_unassigned(org):
    assert account_scope(user=org.admin).count() == 7


def test_anonymous_and_inactive_users_see_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    assert account_scope(user=AnonymousUser()).count() == 0
    org.csm_a1.is_active = False
    org.csm_a1.save()
    assert account_scope(user=org.csm_a1).count() == 0


def test_get_account_for_user_is_404_outside_scope(org):
    other = org.accounts["csm_b1"][0]
    with pytest.raises(Http404):
        get_account_for_user(org.csm_a1, other.pk)
    with pytest.raises(Http404):
        get_account_for_user(org.manager_a, other.pk)
    with pytest.raises(Http404):
        get_account_for_user(org.csm_a1, "not-a-number")
    assert get_account_for_user(org.manager_b, other.pk) == other


@pytest.mark.parametrize("url_name", ["accounts:detail", "accounts:edit"])
def test_page_404_for_another_csms_account(client, org, url_name):
    other = org.accounts["csm_a2"][0]
    client.force_login(org.csm_a1)
    assert client.get(reverse(url_name, args=[other.pk])).status_code == 404
    own = org.accounts["csm_a1"][0]
    assert client.get(reverse(url_name, args=[own.pk])).status_code == 200


def test_edit_post_outside_scope_changes_nothing(client, org):
    other = org.accounts["csm_a2"][0]
    client.force_login(org.csm_a1)
    response = client.post(reverse("accounts:edit", args=[other.pk]), {"name": "Hijacked"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name != "Hijacked"


def test_list_page_shows_only_scope(client, org):
    client.force_login(org.csm_a1)
    body = client.get(reverse("accounts:list")).content.decode()
    assert "csm_a1 account 0" in body
    assert "csm_a2 account 0" not in body
    assert "Unassigned account" not in body


def test_anonymous_is_redirected_to_login(client, org):
    response = client.get(reverse("accounts:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_api_404_for_another_csms_account_with_token(client, org):
    token = Token.objects.create(user=org.csm_a1)
    other = org.accounts["csm_b1"][0]
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get(f"/api/v1/accounts/{other.pk}/", **headers).status_code == 404
    response = client.patch(
        f"/api/v1/accounts/{other.pk}/", {"name": "Hijacked"}, content_type="application/json", **headers
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name != "Hijacked"
    listed = client.get("/api/v1/accounts/", **headers).json()
    assert {row["name"] for row in listed["results"]} == {a.name for a in org.accounts["csm_a1"]}


def test_api_requires_authentication(client, org):
    response = client.get("/api/v1/accounts/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()
