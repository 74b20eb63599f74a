"""The OIDC code flow against the real provider, with Django's test client as the browser."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.messages import get_messages

from org.models import Role
from tests.factories import make_person
from tests.sso.support import PROVIDER_NAME, configure_sso, provider_redirect, sign_in

pytestmark = pytest.mark.django_db


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_sign_in_matches_the_email_case_insensitively_and_logs_the_access(client, sso):
    alice = make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    response = sign_in(client, "alice")
    assert response.status_code == 302 and response["Location"] == "/my-day/"
    assert client.session[BACKEND_SESSION_KEY] == "org.sso.OidcBackend"
    assert int(client.session["_auth_user_id"]) == alice.pk
    # Through django.contrib.auth.login(): user_logged_in fired, django-axes logged it.
    assert AccessLog.objects.filter(username="alice.li").count() == 1
    assert client.get("/my-day/").status_code == 200


def test_next_is_honoured_on_the_site_only(client, sso):
    make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    assert sign_in(client, "alice", start="/oidc/authenticate/?next=/renewals/")["Location"] == "/renewals/"
    client.logout()
    evil = sign_in(client, "alice", start="/oidc/authenticate/?next=https://evil.example/")
    assert evil["Location"] == "/my-day/"


def test_the_request_to_the_provider_carries_state_nonce_and_pkce(client, sso):
    query = parse_qs(urlsplit(client.get("/oidc/authenticate/")["Location"]).query)
    assert query["client_id"] == [sso.client_id]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert {"state", "nonce", "code_challenge"} <= set(query)


def test_unknown_email_is_refused_without_just_in_time_creation(client, sso):
    response = sign_in(client, "newbie")
    assert response["Location"] == "/login/"
    assert messages_of(response) == [
        f"No Hourglass user has the email address {PROVIDER_NAME} gave. Ask an admin to add you."
    ]
    assert not User.objects.filter(email__iexact="newbie@example.com").exists()
    assert "_auth_user_id" not in client.session
    # The failure counts for django-axes like a wrong password.
    assert AccessAttempt.objects.count() == 1
    page = client.get("/login/")
    assert page.status_code == 200


def test_just_in_time_creation_makes_a_csm_with_a_profile(client, settings, sso):
    settings.HOURGLASS_SSO_CREATE_USERS = True
    response = sign_in(client, "newbie")
    assert response["Location"] == "/my-day/"
    user = User.objects.get(email="newbie@example.com")
    assert (user.first_name, user.last_name, user.cs_profile.role) == ("Nina", "New", Role.CSM)
    assert not user.has_usable_password()
    client.logout()
    # A second sign-in finds the same user instead of creating another.
    assert sign_in(client, "newbie")["Location"] == "/my-day/"
    assert User.objects.filter(email__iexact="newbie@example.com").count() == 1


@pytest.mark.parametrize(
    ("provider_user", "prepare", "message"),
    [
        ("carol", "inactive", "Your Hourglass user is deactivated. Ask an admin to reactivate it."),
        ("dup", "twice", "Several Hourglass users share your email address; an admin must resolve it first."),
        ("eve", "one", f"{PROVIDER_NAME} has not verified your email address; verify it there first."),
    ],
)
def test_refusals_land_on_the_login_page_with_the_reason(client, settings, sso, provider_user, prepare, message):
    settings.HOURGLASS_SSO_CREATE_USERS = True  # refusals hold even with just-in-time creation on
    email = f"{provider_user}@example.com"
    first = make_person(Role.CSM, username=f"{provider_user}1", email=email)
    if prepare == "inactive":
        User.objects.filter(pk=first.pk).update(is_active=False)
    if prepare == "twice":
        make_person(Role.CSM, username=f"{provider_user}2", email=email.upper())
    response = sign_in(client, provider_user)
    assert response["Location"] == "/login/"
    assert messages_of(response) == [message]
    assert "_auth_user_id" not in client.session


def test_consent_refused_at_the_provider_is_named(client, sso):
    make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    response = sign_in(client, "alice", allow=False)
    assert response["Location"] == "/login/"
    assert messages_of(response) == [f"{PROVIDER_NAME} did not sign you in (access_denied)."]


def test_a_forged_or_replayed_state_is_refused(client, sso):
    make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    started = client.get("/oidc/authenticate/")
    back = urlsplit(provider_redirect(started["Location"], "alice"))
    code = parse_qs(back.query)["code"][0]
    forged = client.get("/oidc/callback/", {"code": code, "state": "not-the-state"})
    assert forged["Location"] == "/login/"
    assert messages_of(forged) == ["The sign-in expired or was started in another window. Try again."]
    assert client.get(f"/oidc/callback/?{back.query}")["Location"] == "/my-day/"
    client.logout()
    replayed = client.get(f"/oidc/callback/?{back.query}")
    assert replayed["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_a_callback_without_a_sign_in_is_refused(client, sso):
    response = client.get("/oidc/callback/")
    assert response["Location"] == "/login/"
    assert messages_of(response) == ["The sign-in expired or was started in another window. Try again."]
    other_browser = client.get("/oidc/callback/", {"code": "x", "state": "y"})
    assert other_browser["Location"] == "/login/"


def test_provider_down_is_a_message_not_an_error(client, settings, oidc_provider):
    configure_sso(settings, None)  # discovery on a closed port
    response = client.get("/oidc/authenticate/")
    assert response["Location"] == "/login/"
    assert messages_of(response) == [f"{PROVIDER_NAME} could not be reached. Try again in a moment."]


def test_token_endpoint_down_after_consent_is_a_message(client, settings, sso):
    make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    started = client.get("/oidc/authenticate/")
    back = urlsplit(provider_redirect(started["Location"], "alice"))
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token/"
    response = client.get(f"/oidc/callback/?{back.query}")
    assert response["Location"] == "/login/"
    assert messages_of(response) == [f"{PROVIDER_NAME} could not be reached. Try again in a moment."]


def test_an_id_token_from_another_issuer_is_refused(client, settings, sso):
    make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    started = client.get("/oidc/authenticate/")
    back = urlsplit(provider_redirect(started["Location"], "alice"))
    settings.OIDC_OP_ISSUER = "http://issuer.example/"
    response = client.get(f"/oidc/callback/?{back.query}")
    assert messages_of(response) == [f"The answer from {PROVIDER_NAME} could not be verified. Try again."]
    assert "_auth_user_id" not in client.session


def test_deactivating_a_user_ends_their_sso_session(client, sso):
    alice = make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    sign_in(client, "alice")
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert client.get("/my-day/")["Location"].startswith("/login/")


def test_sso_off_answers_on_the_login_page(client):
    for url in ("/oidc/authenticate/", "/oidc/callback/"):
        client.cookies.clear()
        response = client.get(url)
        assert response["Location"] == "/login/"
        assert messages_of(response) == ["Single sign-on is not configured."]


def test_public_for_every_role_when_on(client, org, sso):
    """With SSO on, nobody is denied the start or the return; the return grants nothing by itself."""
    people = [None, org.csm_a1, org.manager_a, org.admin]
    for person in people:
        client.logout()
        if person is not None:
            client.force_login(person)
        started = client.get("/oidc/authenticate/")
        assert started.status_code == 302 and started["Location"].startswith(sso.url), person
        returned = client.get("/oidc/callback/", {"code": "stolen", "state": "guessed"})
        assert returned["Location"] == "/login/", person


@pytest.mark.parametrize("trust_sso", [True, False])
def test_two_factor_recognises_the_sso_session(client, settings, sso, trust_sso):
    """The session's backend is how two-factor tells an SSO sign-in (HOURGLASS_2FA_TRUST_SSO)."""
    settings.HOURGLASS_2FA_REQUIRED_ROLES = ["csm"]
    settings.HOURGLASS_2FA_TRUST_SSO = trust_sso
    make_person(Role.CSM, username="alice.li", email="alice.li@example.com")
    assert sign_in(client, "alice")["Location"] == "/my-day/"
    my_day = client.get("/my-day/")
    if trust_sso:
        assert my_day.status_code == 200
    else:
        assert my_day.status_code == 302 and "two-factor" in my_day["Location"]
