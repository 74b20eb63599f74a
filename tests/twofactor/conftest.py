"""Helpers for the two-factor tests: enrolled people and the codes their app shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from org.two_factor.services import enrolment_key_new, two_factor_enrol


def code_for(device_or_key: TOTPDevice | str, *, step: int = 0) -> str:
    """The code an authenticator app shows now (``step=1``: the next 30 s window, which
    the server still accepts after the current code was spent)."""
    key = device_or_key.bin_key if isinstance(device_or_key, TOTPDevice) else bytes.fromhex(device_or_key)
    return f"{totp(key, drift=step):06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    accepted = {code_for(device, step=step) for step in (-1, 0, 1, 2)}
    candidate = 0
    while f"{candidate:06d}" in accepted:
        candidate += 1
    return f"{candidate:06d}"


def enrol(user: Any) -> tuple[TOTPDevice, list[str]]:
    key = enrolment_key_new()
    return two_factor_enrol(user=user, key=key, code=code_for(key))


def service_request(user: Any, path: str = "/security/two-factor/verify/") -> Any:
    """A request as the services see it: a session, the user, a client address."""
    request = RequestFactory().post(path)
    request.session = SessionStore()
    request.session.create()
    request.user = user
    return request


@pytest.fixture(autouse=True)
def _no_throttle_delay(settings: Any) -> None:
    """django-otp makes a device wait 1 s, 2 s, 4 s … after wrong codes; tests that type
    several codes in a row would wait. The throttle has its own test (factor 1)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages are compared in English, whatever language an earlier request left active."""
    from django.utils import translation

    with translation.override("en"):
        yield
