"""Two-factor services, called directly: enrol, verify, backup codes, lockout, disable, reset."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from org.models import CsProfile, Role
from org.two_factor.checks import required_roles_check
from org.two_factor.gate import Owed, owed, sso_trusted
from org.two_factor.services import (
    backup_codes_left,
    backup_codes_regenerate,
    code_check,
    enrolment_key_new,
    has_two_factor,
    qr_svg,
    secret_for_display,
    two_factor_disable,
    two_factor_enrol,
    two_factor_required,
    two_factor_reset,
    two_factor_verify,
)
from tests.factories import make_person
from tests.twofactor.conftest import code_for, enrol, service_request, wrong_code_for

pytestmark = pytest.mark.django_db


def test_enrol_confirms_the_app_and_issues_ten_single_use_backup_codes():
    user = make_person(Role.CSM, username="li")
    key = enrolment_key_new()
    device, codes = two_factor_enrol(user=user, key=key, code=code_for(key))
    assert device.confirmed and device.key == key and has_two_factor(user)
    assert len(set(codes)) == 10 and backup_codes_left(user) == 10
    # The enrolment code is spent: the same code cannot verify a session afterwards.
    assert device.last_t >= 0
    history = CsProfile.history.filter(user=user).order_by("-history_date").first()
    assert history.history_change_reason == "two_factor.enabled"


def test_enrol_with_a_wrong_or_malformed_code_names_the_field_and_stores_nothing():
    user = make_person(Role.CSM, username="li")
    key = enrolment_key_new()
    for code in ("000000" if code_for(key) != "000000" else "111111", "12ab56", ""):
        with pytest.raises(ValidationError) as raised:
            two_factor_enrol(user=user, key=key, code=code)
        assert "code" in raised.value.message_dict
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()


def test_enrolling_twice_is_refused():
    user = make_person(Role.CSM, username="li")
    enrol(user)
    key = enrolment_key_new()
    with pytest.raises(ValidationError, match="already on"):
        two_factor_enrol(user=user, key=key, code=code_for(key))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_the_qr_code_is_plain_svg_and_the_secret_is_base32():
    svg = qr_svg("otpauth://totp/Hourglass:li?secret=ABC")
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg and "otpauth" not in svg
    secret = secret_for_display("00" * 20).replace(" ", "")
    assert secret == "A" * 32


def test_a_current_code_verifies_the_session_once():
    user = make_person(Role.CSM, username="li")
    device, _codes = enrol(user)
    request = service_request(user)
    code = code_for(device, step=1)  # the enrolment spent the current window
    result = two_factor_verify(request=request, code=code)
    assert result.device == device and request.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    # A replay of the same code (django-otp's last_t) is refused, in another session too.
    again = two_factor_verify(request=service_request(user), code=code)
    assert again.device is None and not again.locked


def test_a_backup_code_works_once():
    user = make_person(Role.CSM, username="li")
    _device, codes = enrol(user)
    first = two_factor_verify(request=service_request(user), code=codes[0])
    assert isinstance(first.device, StaticDevice)
    assert two_factor_verify(request=service_request(user), code=codes[0]).device is None
    assert backup_codes_left(user) == 9


def test_regenerated_backup_codes_replace_the_old_ones():
    user = make_person(Role.CSM, username="li")
    _device, old = enrol(user)
    new = backup_codes_regenerate(user=user)
    assert set(new).isdisjoint(old) and StaticToken.objects.filter(device__user=user).count() == 10
    assert two_factor_verify(request=service_request(user), code=old[0]).device is None
    with pytest.raises(ValidationError):
        backup_codes_regenerate(user=make_person(Role.CSM, username="nobody"))


def test_a_wrong_code_counts_as_a_failed_login_and_a_right_one_resets_the_count():
    user = make_person(Role.CSM, username="li")
    device, _codes = enrol(user)
    result = code_check(request=service_request(user), user=user, code=wrong_code_for(device))
    assert result.device is None and not result.locked
    assert AccessAttempt.objects.get(username="li").failures_since_start == 1
    code_check(request=service_request(user), user=user, code=wrong_code_for(device))
    assert AccessAttempt.objects.get(username="li").failures_since_start == 2
    assert code_check(request=service_request(user), user=user, code=code_for(device, step=1)).device == device
    assert not AccessAttempt.objects.filter(username="li").exists()


def test_the_fifth_wrong_code_locks_out_even_the_right_code_and_the_password(client, password):
    user = make_person(Role.CSM, username="li")
    device, codes = enrol(user)
    results = [code_check(request=service_request(user), user=user, code=wrong_code_for(device)) for _ in range(5)]
    assert [r.locked for r in results] == [False] * 4 + [True]
    locked = code_check(request=service_request(user), user=user, code=codes[0])
    assert locked.locked and locked.device is None
    assert backup_codes_left(user) == 10  # a locked-out attempt spends nothing
    response = client.post("/login/", {"username": "li", "password": password})
    assert response.status_code == 429


def test_django_otp_throttles_a_right_code_straight_after_a_wrong_one(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    user = make_person(Role.CSM, username="li")
    device, _codes = enrol(user)
    code_check(request=service_request(user), user=user, code=wrong_code_for(device))
    result = code_check(request=service_request(user), user=user, code=code_for(device, step=1))
    assert result.device is None and result.throttled and "wait" in result.error


def test_roles_that_require_two_factor(settings):
    manager = make_person(Role.MANAGER, username="boss")
    csm = make_person(Role.CSM, username="li")
    assert not two_factor_required(manager)
    settings.HOURGLASS_2FA_REQUIRED_ROLES = ["admin", " manager"]
    assert two_factor_required(manager) and not two_factor_required(csm)
    assert owed(service_request(manager)) is Owed.ENROL
    assert owed(service_request(csm)) is Owed.NOTHING
    settings.HOURGLASS_2FA_REQUIRED_ROLES = ["admin", "boss"]
    assert [error.id for error in required_roles_check()] == ["org.two_factor.E001"]


def test_a_person_with_an_app_owes_the_code_until_verified():
    user = make_person(Role.CSM, username="li")
    enrol(user)
    request = service_request(user)
    request.user.otp_device = None
    assert owed(request) is Owed.VERIFY
    request.user.otp_device = TOTPDevice.objects.get(user=user)
    assert owed(request) is Owed.NOTHING


@pytest.mark.parametrize("trust", [True, False])
def test_a_single_sign_on_session_is_trusted_only_by_setting(settings, trust):
    settings.HOURGLASS_2FA_TRUST_SSO = trust
    user = make_person(Role.MANAGER, username="boss")
    enrol(user)
    request = service_request(user)
    request.user.otp_device = None
    request.session[BACKEND_SESSION_KEY] = "org.sso.OidcBackend"
    assert sso_trusted(request) is trust
    assert owed(request) is (Owed.NOTHING if trust else Owed.VERIFY)
    request.session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    assert owed(request) is Owed.VERIFY


def test_disable_needs_a_current_code_and_is_refused_where_the_role_requires_it(settings):
    user = make_person(Role.MANAGER, username="boss")
    device, _codes = enrol(user)
    request = service_request(user)
    assert two_factor_disable(request=request, code=wrong_code_for(device)).device is None
    assert has_two_factor(user)
    settings.HOURGLASS_2FA_REQUIRED_ROLES = ["manager"]
    with pytest.raises(ValidationError, match="requires"):
        two_factor_disable(request=request, code=code_for(device, step=1))
    settings.HOURGLASS_2FA_REQUIRED_ROLES = []
    assert two_factor_disable(request=request, code=code_for(device, step=1)).device is not None
    assert not has_two_factor(user) and not StaticDevice.objects.filter(user=user).exists()


def test_only_an_admin_resets_someone_elses_two_factor():
    admin = make_person(Role.ADMIN, username="root")
    manager = make_person(Role.MANAGER, username="boss")
    csm = make_person(Role.CSM, username="li")
    enrol(csm)
    for actor in (manager, csm):
        with pytest.raises(PermissionDenied):
            two_factor_reset(csm, actor=actor)
    assert has_two_factor(csm)
    assert two_factor_reset(csm, actor=admin) is True
    assert not has_two_factor(csm) and backup_codes_left(csm) == 0
    assert two_factor_reset(csm, actor=admin) is False  # nothing left: a repeat changes nothing
    reasons = list(CsProfile.history.filter(user=csm).values_list("history_change_reason", flat=True))
    assert reasons.count("two_factor.reset") == 1


def test_a_request_without_a_session_user_owes_nothing():
    request = RequestFactory().get("/api/v1/accounts/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert owed(request) is Owed.NOTHING
