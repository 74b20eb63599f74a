"""Two-factor pages through the Django test client: the gate, verify, enrol, reset."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from rest_framework.authtoken.models import Token

from org.models import Role
from org.two_factor.services import has_two_factor
from tests.factories import make_person
from tests.twofactor.conftest import code_for, enrol, wrong_code_for

pytestmark = pytest.mark.django_db

VERIFY = "/security/two-factor/verify/"
MANAGE = "/security/two-factor/"


def password_login(client, username, password):
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return response


@pytest.fixture
def enrolled(client, password):
    """A CSM with an app, signed in with the password only."""
    user = make_person(Role.CSM, username="li")
    device, codes = enrol(user)
    password_login(client, "li", password)
    return user, device, codes


def test_after_the_password_every_page_waits_for_the_code(client, enrolled):
    response = client.get("/my-day/")
    assert response.status_code == 302 and response["Location"] == f"{VERIFY}?next=%2Fmy-day%2F"
    assert client.get("/accounts/?q=x")["Location"] == f"{VERIFY}?next=%2Faccounts%2F%3Fq%3Dx"
    assert client.get(MANAGE)["Location"].startswith(VERIFY)  # not even the settings page
    assert client.post("/notifications/")["Location"] == VERIFY
    htmx = client.get("/tasks/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith(VERIFY)
    # A session without its second factor reads no API either.
    api = client.get("/api/v1/accounts/")
    assert api.status_code == 403 and "Two-factor" in api.json()["detail"]
    # Still reachable: the verify page, login, language, health, logout.
    assert client.get(VERIFY).status_code == 200
    assert client.get("/login/").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/my-day/"}).status_code == 302
    assert client.post("/logout/")["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_the_right_code_opens_the_pages_and_follows_next(client, enrolled):
    _user, device, _codes = enrolled
    response = client.post(VERIFY, {"code": code_for(device, step=1), "next": "/accounts/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert client.get("/my-day/").status_code == 200
    assert client.get(MANAGE).status_code == 200
    assert client.get(VERIFY)["Location"] == reverse("my_day")  # nothing more owed


def test_a_backup_code_opens_the_pages_and_next_stays_on_the_site(client, enrolled):
    _user, _device, codes = enrolled
    response = client.post(VERIFY, {"code": codes[3].upper()[:4] + "-" + codes[3][4:], "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("my_day")
    assert client.get("/accounts/").status_code == 200


def test_wrong_and_malformed_codes_answer_400_naming_the_field(client, enrolled):
    _user, device, _codes = enrolled
    wrong = client.post(VERIFY, {"code": wrong_code_for(device)})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert 'data-testid="code-error"' in wrong.content.decode()
    malformed = client.post(VERIFY, {"code": "12345"})
    assert malformed.status_code == 400 and "Enter the 6-digit code" in malformed.content.decode()
    empty = client.post(VERIFY, {"code": ""})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    assert client.get("/my-day/").status_code == 302


def test_five_wrong_codes_end_the_session_with_the_lockout_page(client, enrolled, password):
    _user, device, _codes = enrolled
    responses = [client.post(VERIFY, {"code": wrong_code_for(device)}) for _ in range(5)]
    assert [r.status_code for r in responses] == [400] * 4 + [429]
    assert "Too many failed logins" in responses[-1].content.decode()
    assert "_auth_user_id" not in client.session
    # Locked: neither the password nor a backup code gets back in for the cool-off time.
    assert client.post("/login/", {"username": "li", "password": password}).status_code == 429


def test_a_signed_in_person_locked_out_elsewhere_cannot_verify(client, enrolled, password):
    _user, device, codes = enrolled
    other = type(client)()
    password_login(other, "li", password)
    for _ in range(5):
        other.post(VERIFY, {"code": wrong_code_for(device)})
    response = client.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_api_tokens_need_no_second_factor(client, enrolled):
    user, _device, _codes = enrolled
    token = Token.objects.create(user=user)
    client.logout()
    response = client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret_then_backup_codes_once(client, password):
    user = make_person(Role.CSM, username="wang")
    client.force_login(user)
    page = client.get(MANAGE).content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert "<svg" in page and 'data-testid="totp-qr"' in page
    assert secret in client.get(MANAGE).content.decode()  # a reload keeps the same key
    key = __import__("base64").b32decode(secret.replace(" ", "")).hex()

    wrong = client.post(MANAGE, {"action": "enrol", "code": "12345x"})
    assert wrong.status_code == 400 and "Enter the 6-digit code from your app." in wrong.content.decode()
    bad = client.post(MANAGE, {"action": "enrol", "code": "000000" if code_for(key) != "000000" else "111111"})
    assert bad.status_code == 400 and "That code is not right" in bad.content.decode()
    assert not has_two_factor(user)

    done = client.post(MANAGE, {"action": "enrol", "code": code_for(key)})
    body = done.content.decode()
    assert done.status_code == 200 and body.count('data-testid="backup-code"') == 10
    assert has_two_factor(user)
    # The session that enrolled is verified; the codes are never shown again.
    assert client.get("/my-day/").status_code == 200
    again = client.get(MANAGE).content.decode()
    assert 'data-testid="backup-code"' not in again and "10 backup codes left" in again
    # A second confirmation (a double submit) changes nothing.
    assert client.post(MANAGE, {"action": "enrol", "code": code_for(key)}).status_code == 400


def test_an_enrolment_whose_secret_expired_asks_to_scan_again(client):
    client.force_login(make_person(Role.CSM, username="wang"))
    response = client.post(MANAGE, {"action": "enrol", "code": "123456"})
    assert response.status_code == 400 and "This setup has expired" in response.content.decode()
    assert client.post(MANAGE, {"action": "nonsense"}).status_code == 400


def test_regenerate_and_disable(client, enrolled):
    user, device, old_codes = enrolled
    client.post(VERIFY, {"code": old_codes[0]})
    page = client.post(MANAGE, {"action": "regenerate"}).content.decode()
    new_codes = re.findall(r'data-testid="backup-code">([a-z2-7]{8})<', page)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    wrong = client.post(MANAGE, {"action": "disable", "code": wrong_code_for(device)})
    assert wrong.status_code == 400 and has_two_factor(user)
    off = client.post(MANAGE, {"action": "disable", "code": new_codes[0]})
    assert off.status_code == 302 and not has_two_factor(user)
    assert client.get("/my-day/").status_code == 200


def test_a_required_role_must_enrol_before_any_page_and_cannot_disable(client, settings):
    settings.HOURGLASS_2FA_REQUIRED_ROLES = ["admin", "manager"]
    manager = make_person(Role.MANAGER, username="boss")
    csm = make_person(Role.CSM, username="li")
    client.force_login(csm)
    assert client.get("/my-day/").status_code == 200
    client.force_login(manager)
    response = client.get("/my-day/")
    assert response.status_code == 302 and response["Location"] == f"{MANAGE}?next=%2Fmy-day%2F"
    assert client.get(VERIFY)["Location"].startswith(MANAGE)
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="two-factor-required"' in page
    key = (
        __import__("base64")
        .b32decode(re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", ""))
        .hex()
    )
    done = client.post(MANAGE, {"action": "enrol", "code": code_for(key), "next": "/my-day/"})
    assert 'href="/my-day/"' in done.content.decode()
    assert client.get("/my-day/").status_code == 200
    refused = client.post(MANAGE, {"action": "disable", "code": code_for(key, step=1)})
    assert refused.status_code == 400 and "cannot be turned off" in refused.content.decode()
    assert has_two_factor(manager)


def test_admin_reset_view(client, settings):
    admin = make_person(Role.ADMIN, username="root")
    manager = make_person(Role.MANAGER, username="boss")
    csm = make_person(Role.CSM, username="li")
    enrol(csm)
    url = reverse("two_factor:reset", kwargs={"user_id": csm.pk})
    client.force_login(manager)
    assert client.post(url).status_code == 403
    assert has_two_factor(csm)
    client.force_login(admin)
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == MANAGE
    assert not has_two_factor(csm)
    assert client.post(url).status_code == 302  # again: nothing to reset, no error
    assert client.post(reverse("two_factor:reset", kwargs={"user_id": 987654})).status_code == 404
    assert client.post("/security/two-factor/reset/99999999999999999999/").status_code == 404


def test_a_reset_ends_the_verified_state_of_open_sessions(client, enrolled, settings):
    user, device, _codes = enrolled
    client.post(VERIFY, {"code": code_for(device, step=1)})
    assert client.get("/my-day/").status_code == 200
    from org.two_factor.services import two_factor_reset

    two_factor_reset(user)
    assert client.get("/my-day/").status_code == 200  # no app now: the password suffices
    settings.HOURGLASS_2FA_REQUIRED_ROLES = ["csm"]
    assert client.get("/my-day/")["Location"].startswith(MANAGE)


def test_single_sign_on_sessions_are_trusted_by_setting(client, settings):
    pytest.importorskip("org.sso")  # the backend's module (single sign-on)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "org.sso.OidcBackend"]
    user = make_person(Role.MANAGER, username="boss")
    enrol(user)
    client.force_login(user, backend="org.sso.OidcBackend")
    assert client.get("/my-day/").status_code == 200
    settings.HOURGLASS_2FA_TRUST_SSO = False
    assert client.get("/my-day/")["Location"].startswith(VERIFY)


def _page_queries(client, path="/my-day/"):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_the_gate_adds_at_most_one_query_for_people_without_two_factor(client, settings):
    settings.HOURGLASS_2FA_REQUIRED_ROLES = ["admin"]
    user = make_person(Role.CSM, username="li")
    client.force_login(user)
    _page_queries(client)  # warm-up: once-a-minute session bookkeeping, caches
    with_gate = _page_queries(client)
    settings.MIDDLEWARE = [
        name
        for name in settings.MIDDLEWARE
        if name not in ("django_otp.middleware.OTPMiddleware", "org.two_factor.middleware.TwoFactorMiddleware")
    ]
    plain = Client()  # a client builds its middleware chain once: a new one without the gate
    plain.force_login(user)
    _page_queries(plain)
    without_gate = _page_queries(plain)
    assert with_gate - without_gate == 1  # has_two_factor; the role read is the page's own


def test_a_session_opened_before_enrolment_is_asked_for_the_code(client, password):
    user = make_person(Role.CSM, username="li")
    password_login(client, "li", password)
    assert client.get("/my-day/").status_code == 200
    enrol(user)  # from another browser
    assert client.get("/my-day/")["Location"].startswith(VERIFY)


def test_django_admin_never_shows_a_secret_key_or_a_backup_code(client):
    csm = make_person(Role.CSM, username="li")
    device, codes = enrol(csm)
    client.force_login(make_person(Role.ADMIN, username="root"))
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key not in page.content.decode()
    static = StaticDevice.objects.get(user=csm)
    page = client.get(f"/admin/otp_static/staticdevice/{static.pk}/change/")
    assert page.status_code == 200 and not any(code in page.content.decode() for code in codes)


def test_the_pages_read_in_chinese(client, enrolled):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(VERIFY).content.decode()
    assert "双重身份验证" in page and "验证码" in page
    _user, device, _codes = enrolled
    wrong = client.post(VERIFY, {"code": wrong_code_for(device)}).content.decode()
    assert "验证码不正确" in wrong
