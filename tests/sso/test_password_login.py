"""The login page with single sign-on: the button, and SSO-only mode's password rule."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.test import RequestFactory

from org.models import Role
from tests.factories import PASSWORD, make_person
from tests.sso.support import PROVIDER_NAME, configure_sso

pytestmark = pytest.mark.django_db

SSO_ONLY_ERROR = (
    "Wrong username or password. Only admins sign in with a password here; "
    f"everyone else signs in with {PROVIDER_NAME}."
)


def post_login(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_offers_the_provider_only_when_configured(client, settings):
    page = client.get("/login/").content.decode()
    assert "Sign in with" not in page and "/oidc/authenticate/" not in page
    configure_sso(settings)
    page = client.get("/login/?next=/renewals/").content.decode()
    assert f"Sign in with {PROVIDER_NAME}" in page
    assert 'href="/oidc/authenticate/?next=/renewals/"' in page


def test_without_sso_only_a_csm_still_uses_a_password(client, settings):
    configure_sso(settings)
    make_person(Role.CSM, username="csm.zhang")
    assert post_login(client, "csm.zhang")["Location"] == "/my-day/"


def test_sso_only_refuses_a_csm_password_and_points_to_sso(client, settings):
    configure_sso(settings, HOURGLASS_SSO_ONLY=True)
    make_person(Role.CSM, username="csm.zhang")
    make_person(Role.MANAGER, username="mgr.zhou")
    for username in ("csm.zhang", "mgr.zhou"):
        response = post_login(client, username)
        assert response.status_code == 200
        assert response.context["form"].errors["__all__"] == [SSO_ONLY_ERROR]
        assert "_auth_user_id" not in client.session
    # Counted as failed logins: the lockout applies as to any wrong password.
    assert AccessAttempt.objects.filter(username="csm.zhang").get().failures_since_start == 1
    page = client.get("/login/").content.decode()
    assert "Admin sign-in with a password" in page


def test_sso_only_answers_the_same_for_any_refusal(client, settings):
    """A right password, a wrong one and an unknown name read alike: no username oracle."""
    configure_sso(settings, HOURGLASS_SSO_ONLY=True)
    make_person(Role.CSM, username="csm.zhang")
    answers = {
        post_login(client, "csm.zhang").context["form"].errors["__all__"][0],
        post_login(client, "csm.zhang", "wrong").context["form"].errors["__all__"][0],
        post_login(client, "no.such.person").context["form"].errors["__all__"][0],
    }
    assert answers == {SSO_ONLY_ERROR}


def test_sso_only_keeps_the_password_for_admins(client, settings):
    configure_sso(settings, HOURGLASS_SSO_ONLY=True)
    make_person(Role.ADMIN, username="root.admin")
    assert post_login(client, "root.admin")["Location"] == "/my-day/"


def test_sso_only_refuses_at_the_backend_too(settings):
    """Any password path (admin login, a future API) goes through authenticate(): it refuses."""
    configure_sso(settings, HOURGLASS_SSO_ONLY=True)
    make_person(Role.CSM, username="csm.zhang")
    admin = make_person(Role.ADMIN, username="root.admin")
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="csm.zhang", password=PASSWORD) is None
    assert authenticate(request, username="root.admin", password=PASSWORD) == admin


def test_sso_only_without_sso_configured_changes_nothing(client, settings):
    settings.HOURGLASS_SSO_ONLY = True  # no client id: no one could sign in through SSO
    make_person(Role.CSM, username="csm.zhang")
    assert post_login(client, "csm.zhang")["Location"] == "/my-day/"


def test_the_login_page_and_its_refusals_read_in_chinese(client, settings):
    configure_sso(settings, HOURGLASS_SSO_ONLY=True)
    make_person(Role.CSM, username="csm.zhang")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get("/login/").content.decode()
    assert f"使用 {PROVIDER_NAME} 登录" in page and "管理员密码登录" in page
    refused = post_login(client, "csm.zhang")
    assert refused.context["form"].errors["__all__"] == [
        f"用户名或密码错误。这里只有管理员使用密码登录；其他人请使用 {PROVIDER_NAME} 登录。"
    ]
    off = client.get("/oidc/callback/", follow=True).content.decode()
    assert "登录已过期，或是在另一个窗口中发起的。请重试。" in off
