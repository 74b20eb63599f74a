"""The second factor: enrol a TOTP app, verify a session, backup codes, disable, reset.

Devices are django-otp's: one confirmed ``TOTPDevice`` (the authenticator app) and one
``StaticDevice`` holding the single-use backup codes. A wrong code counts like a wrong
password (django-axes, same username + IP bucket), and django-otp's own throttling and
its ``last_t`` (a TOTP code is accepted once) apply on top.
"""

from __future__ import annotations

import logging
import re
import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from core.types import AnyUser

from ..models import CsProfile, Role
from ..roles import role_of

logger = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
TOTP_CODE = re.compile(r"\d{6}")
BACKUP_CODE = re.compile(r"[a-z2-7]{8}")  # StaticToken.random_token(): 5 random bytes, base32


def required_roles() -> set[str]:
    """The role codes of HOURGLASS_2FA_REQUIRED_ROLES (validated by a system check)."""
    return {code.strip() for code in settings.HOURGLASS_2FA_REQUIRED_ROLES if code.strip()}


def two_factor_required(user: AnyUser) -> bool:
    """Whether the person's role must use a second factor (no query when no role must)."""
    roles = required_roles()
    return bool(roles) and role_of(user) in roles


def has_two_factor(user: AnyUser) -> bool:
    """One indexed query: a confirmed authenticator app."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def backup_codes_left(user: AnyUser) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


# --- Enrolment ---------------------------------------------------------------------------


def enrolment_key_new() -> str:
    """A fresh secret (20 random bytes, hex) for an enrolment not yet confirmed."""
    return str(random_hex(20))


def secret_for_display(key: str) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_url(user: Any, key: str) -> str:
    return str(TOTPDevice(user=user, key=key).config_url)


def qr_svg(url: str) -> str:
    """The otpauth URL as an SVG QR code: paths only, no script or style (fits the CSP)."""
    return str(segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff"))


def _totp_matching(key: str, code: str) -> TOTP | None:
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    return totp if TOTP_CODE.fullmatch(code) and totp.verify(int(code), tolerance=1) else None


@transaction.atomic
def two_factor_enrol(*, user: Any, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the app set up with ``key`` by its current ``code``; returns the device
    and the backup codes (shown once). Raises ValidationError naming ``code``."""
    # Lock the person: two confirmations at once must not leave two apps.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if has_two_factor(user):
        raise ValidationError({"code": _("Two-factor authentication is already on.")})
    totp = _totp_matching(key, code)
    if totp is None:
        raise ValidationError(
            {"code": _("That code is not right. Check that your phone's clock is correct and enter the current code.")}
        )
    TOTPDevice.objects.filter(user=user).delete()
    # last_t: the code just used is spent, as after any verification.
    device = TOTPDevice.objects.create(
        user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True, last_t=totp.t(), drift=totp.drift
    )
    codes = _backup_codes_replace(user)
    _audit(user, "two_factor.enabled")
    return device, codes


def _backup_codes_replace(user: Any) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in sorted(codes)])
    return sorted(codes)


@transaction.atomic
def backup_codes_regenerate(*, user: Any) -> list[str]:
    """New backup codes; the old ones stop working."""
    if not has_two_factor(user):
        raise ValidationError(_("Two-factor authentication is not on."))
    return _backup_codes_replace(user)


# --- Verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None
    locked: bool = False  # the username + IP is locked out (django-axes)
    throttled: bool = False  # django-otp refused to check: too many wrong codes just now

    @property
    def error(self) -> str:
        if self.throttled:
            return _("Too many wrong codes in a row: wait a few seconds, then enter the current code.")
        return _("That code is not right. Enter the current code from your app, or an unused backup code.")


def _credentials(user: Any) -> dict[str, str]:
    return {"username": user.get_username()}


def _matching_device(user: Any, code: str) -> tuple[Device | None, bool]:
    """The device that accepts ``code`` (spending it), and whether throttling refused it."""
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if TOTP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return None, False
        allowed, _info = device.verify_is_allowed()
        if device.verify_token(code):
            return device, False
        return None, not allowed


def code_check(*, request: HttpRequest, user: Any, code: str) -> CodeCheck:
    """Check a code (TOTP or backup) like a password: a wrong one is a failed login for
    django-axes, a right one resets the failures as a successful login does."""
    credentials = _credentials(user)
    if settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, credentials):
        return CodeCheck(None, locked=True)
    device, throttled = _matching_device(user, code)
    if device is None:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        return CodeCheck(None, locked=bool(getattr(request, "axes_locked_out", False)), throttled=throttled)
    if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.reset_attempts(username=credentials["username"], ip_address=request.axes_ip_address)  # type: ignore[attr-defined]
    return CodeCheck(device)


def session_mark_verified(request: HttpRequest, device: Device) -> None:
    """The session has given its second factor (a new session key: no fixation)."""
    request.session.cycle_key()
    otp_login(request, device)


def two_factor_verify(*, request: HttpRequest, code: str) -> CodeCheck:
    """Verify the signed-in person's session with ``code``."""
    result = code_check(request=request, user=request.user, code=code)
    if result.device is not None:
        session_mark_verified(request, result.device)
    return result


# --- Turning it off ----------------------------------------------------------------------


def _devices_delete(user: Any) -> bool:
    deleted_totp, _detail = TOTPDevice.objects.filter(user=user).delete()
    deleted_static, _detail = StaticDevice.objects.filter(user=user).delete()
    return bool(deleted_totp or deleted_static)


def two_factor_disable(*, request: HttpRequest, code: str) -> CodeCheck:
    """Turn the person's own second factor off, proved by a current code. Raises
    ValidationError (naming ``code``) when their role requires it."""
    user = request.user
    if two_factor_required(user):
        raise ValidationError({"code": _("Your role requires two-factor authentication: it cannot be turned off.")})
    result = code_check(request=request, user=user, code=code)
    if result.device is not None:
        with transaction.atomic():
            _devices_delete(user)
            _audit(user, "two_factor.disabled")
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    return result


def can_reset_two_factor(actor: AnyUser) -> bool:
    return role_of(actor) == Role.ADMIN


@transaction.atomic
def two_factor_reset(user: Any, *, actor: AnyUser | None = None) -> bool:
    """Remove a person's app and backup codes (lost phone): they sign in with the password
    alone, or enrol again first where their role requires it. Only admins may; returns
    whether there was anything to remove."""
    if actor is not None and not can_reset_two_factor(actor):
        raise PermissionDenied
    removed = _devices_delete(user)
    if removed:
        _audit(user, "two_factor.reset")
    return removed


def _audit(user: Any, reason: str) -> None:
    """A row in the person's change history (who, when, which change) and a log line."""
    profile = CsProfile.objects.filter(user=user).first()
    if profile is not None:
        profile._change_reason = reason  # type: ignore[attr-defined]  # django-simple-history reads it
        profile.save(update_fields=["role"])
    logger.info("%s: user %s", reason, user.pk)
