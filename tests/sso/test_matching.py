"""Who a provider's identity is in Hourglass: the matching service, without a provider."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from org.models import Role
from org.sso import AMBIGUOUS, INACTIVE, NO_EMAIL, UNKNOWN, UNVERIFIED_EMAIL, SsoRefused, sso_user_for_claims
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def refusal(claims: dict) -> str:
    with pytest.raises(SsoRefused) as raised:
        sso_user_for_claims(claims)
    return raised.value.reason


def test_matches_by_email_ignoring_case_and_spaces():
    wang = make_person(Role.CSM, username="wang", email="wang.fang@example.com")
    assert sso_user_for_claims({"email": " Wang.Fang@EXAMPLE.com ", "email_verified": True}) == wang


def test_unknown_email_is_refused_when_just_in_time_creation_is_off(settings):
    settings.HOURGLASS_SSO_CREATE_USERS = False
    assert refusal({"email": "nobody@example.com"}) == UNKNOWN
    assert not User.objects.filter(email="nobody@example.com").exists()


def test_just_in_time_creation_uses_the_default_role_and_makes_a_profile(settings):
    settings.HOURGLASS_SSO_CREATE_USERS = True
    settings.HOURGLASS_SSO_DEFAULT_ROLE = Role.MANAGER
    user = sso_user_for_claims({"email": "Li.Na@example.com", "given_name": "Na", "family_name": "Li"})
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "li.na@example.com",
        "Li.Na@example.com",
        "Na",
        "Li",
    )
    assert user.cs_profile.role == Role.MANAGER and not user.is_staff
    assert not user.has_usable_password()
    # Idempotent: the next sign-in finds this user.
    assert sso_user_for_claims({"email": "li.na@EXAMPLE.com"}) == user


def test_just_in_time_username_avoids_a_taken_one(settings):
    settings.HOURGLASS_SSO_CREATE_USERS = True
    make_person(Role.CSM, username="zhao@example.com", email="someone.else@example.com")
    assert sso_user_for_claims({"email": "zhao@example.com"}).username == "zhao@example.com-2"


def test_inactive_user_is_refused_even_with_just_in_time_creation(settings):
    settings.HOURGLASS_SSO_CREATE_USERS = True
    gone = make_person(Role.CSM, username="gone", email="gone@example.com")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    assert refusal({"email": "gone@example.com"}) == INACTIVE
    assert User.objects.filter(email__iexact="gone@example.com").count() == 1


def test_an_email_two_users_share_is_refused():
    make_person(Role.CSM, username="a", email="shared@example.com")
    make_person(Role.CSM, username="b", email="SHARED@example.com")
    assert refusal({"email": "shared@example.com"}) == AMBIGUOUS


NOT_EMAILS = [{}, {"email": ""}, {"email": " "}, {"email": None}, {"email": ["x@example.com"]}, {"email": "no at"}]


@pytest.mark.parametrize("claims", NOT_EMAILS)
def test_no_or_an_invalid_email_is_refused(claims, settings):
    settings.HOURGLASS_SSO_CREATE_USERS = True  # never a user with such an email
    assert refusal(claims) == NO_EMAIL


def test_an_unverified_email_is_refused():
    make_person(Role.ADMIN, username="boss", email="boss@example.com")
    assert refusal({"email": "boss@example.com", "email_verified": False}) == UNVERIFIED_EMAIL


def test_settings_refuse_admin_as_the_default_role():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "HOURGLASS_SSO_DEFAULT_ROLE": "admin", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "HOURGLASS_SSO_DEFAULT_ROLE must be csm or manager" in result.stderr
