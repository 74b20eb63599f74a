"""A real OIDC provider (django-oauth-toolkit in its own process) and Hourglass pointed at it.

Fixtures and helpers shared by tests/sso and the browser test (tests/e2e/test_sso_login.py);
each imports the fixtures it uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_PASSWORD = "provider-pass-1"
PROVIDER_NAME = "Test IdP"
# The provider's people; Hourglass's side of each is made by the test that needs it.
PROVIDER_USERS = [
    {"username": "alice", "email": "Alice.Li@Example.com", "first_name": "Alice", "last_name": "Li"},
    {"username": "newbie", "email": "newbie@example.com", "first_name": "Nina", "last_name": "New"},
    {"username": "carol", "email": "carol@example.com", "first_name": "Carol", "last_name": "Gone"},
    {"username": "dup", "email": "dup@example.com", "first_name": "Dee", "last_name": "Twice"},
    {"username": "eve", "email": "eve@example.com", "first_name": "Eve", "last_name": "Unverified"},
]


@dataclass
class Provider:
    url: str
    client_id: str = "hourglass-test"
    client_secret: str = "hourglass-test-secret-0123456789"
    process: Any = field(default=None, repr=False)

    @property
    def discovery(self) -> str:
        return f"{self.url}/o/.well-known/openid-configuration"


def _write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    folder = tmp_path_factory.mktemp("oidc-provider")
    _write_key(folder / "key.pem")
    port = free_port()
    provider = Provider(url=f"http://127.0.0.1:{port}")
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.sso.provider.settings",
        "PYTHONPATH": str(ROOT),
        "PROVIDER_DB": str(folder / "provider.sqlite3"),
        "PROVIDER_KEY": str(folder / "key.pem"),
        "PROVIDER_PORT": str(port),
        "PROVIDER_CLIENT_ID": provider.client_id,
        "PROVIDER_CLIENT_SECRET": provider.client_secret,
        "PROVIDER_USERS": json.dumps([user | {"password": PROVIDER_PASSWORD} for user in PROVIDER_USERS]),
    }
    log = open(folder / "provider.log", "w")  # noqa: SIM115 (closed below)
    provider.process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.provider.serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if provider.process.poll() is not None:
                pytest.fail(f"the OIDC provider exited: {(folder / 'provider.log').read_text()}")
            try:
                if requests.get(provider.discovery, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the OIDC provider did not start: {(folder / 'provider.log').read_text()}")
            time.sleep(0.2)
        yield provider
    finally:
        provider.process.terminate()
        provider.process.wait(timeout=10)
        log.close()


SSO_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "org.sso.SsoOnlyPasswordGuard",
    "django.contrib.auth.backends.ModelBackend",
    "org.sso.OidcBackend",
]


def configure_sso(settings: Any, provider: Provider | None = None, **extra: Any) -> None:
    """What the settings block does when OIDC_RP_CLIENT_ID is set, pointed at ``provider``."""
    settings.OIDC_RP_CLIENT_ID = provider.client_id if provider else "hourglass-test"
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret if provider else "secret"
    settings.OIDC_OP_DISCOVERY = provider.discovery if provider else "http://127.0.0.1:9/discovery"
    settings.HOURGLASS_SSO_PROVIDER_NAME = PROVIDER_NAME
    settings.AUTHENTICATION_BACKENDS = SSO_BACKENDS
    for name, value in extra.items():
        setattr(settings, name, value)


@pytest.fixture
def sso(settings: Any, oidc_provider: Provider) -> Provider:
    configure_sso(settings, oidc_provider)
    return oidc_provider


class _Form(HTMLParser):
    """The fields of the first form on a page (the provider's login and consent forms)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action") or ""
        if tag == "input" and values.get("type") in ("hidden", None) and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def _form(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def provider_redirect(authorize_url: str, username: str, *, allow: bool = True) -> str:
    """Sign in at the provider as ``username`` and consent; the URL it sends the browser back to."""
    browser_session = requests.Session()
    response = browser_session.get(authorize_url, timeout=10)  # -> the provider's login page
    assert "/accounts/login/" in response.url, response.url
    fields = _form(response.text) | {"username": username, "password": PROVIDER_PASSWORD}
    response = browser_session.post(response.url, data=fields, timeout=10)  # -> the consent page
    assert "authorizationForm" in response.text, response.text[:500]
    fields = _form(response.text) | ({"allow": "Authorize"} if allow else {})
    response = browser_session.post(response.url, data=fields, timeout=10, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return urljoin(response.url, response.headers["Location"])


def sign_in(client: Any, username: str, *, start: str = "/oidc/authenticate/", allow: bool = True) -> Any:
    """The whole code flow with Django's test client as Hourglass's browser; the callback's answer."""
    started = client.get(start)
    assert started.status_code == 302, started
    back = urlsplit(provider_redirect(started["Location"], username, allow=allow))
    assert back.netloc == "testserver" and back.path == "/oidc/callback/", back
    return client.get(f"{back.path}?{back.query}")
