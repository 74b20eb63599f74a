"""Production settings, CSP, brute-force lockout, API tokens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from org.models import Role
from tests.factories import PASSWORD, make_person

REPO = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env={**clean, **env}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_production_mode_passes_the_deployment_checklist(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY="x9" * 30 + "-prod-secret-for-the-check", ALLOWED_HOSTS="hourglass.example.com",
        HOURGLASS_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage("check", DEBUG="false", HOURGLASS_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_inline_scripts_or_style_attributes():
    offenders = []
    for path in (REPO / "templates").rglob("*.html"):
        if "email" in path.parts:
            continue  # emails are read by mail clients, not served under our CSP
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=\"", text):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_login(client):
    make_person(Role.CSM, username="target")
    for _ in range(5):
        client.post(reverse("login"), {"username": "target", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "target", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lockout_page_says_the_configured_wait_in_the_readers_language(client, settings):
    settings.AXES_COOLOFF_TIME = 0.5  # hours
    make_person(Role.CSM, username="target")
    for _ in range(5):
        client.post(reverse("login"), {"username": "target", "password": "wrong"})
    english = client.post(reverse("login"), {"username": "target", "password": PASSWORD}).content.decode()
    assert "wrong passwords or two-factor codes" in english and "Try again in 30 minutes" in english
    chinese = client.post(
        reverse("login"), {"username": "target", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "请在 30 分钟后重试" in chinese


@pytest.mark.django_db
def test_successful_login_is_audited_and_resets_failures(client):
    from axes.models import AccessLog

    make_person(Role.CSM, username="someone")
    client.post(reverse("login"), {"username": "someone", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "someone", "password": PASSWORD})
    assert response.status_code == 302
    assert AccessLog.objects.filter(username="someone").exists()


@pytest.mark.django_db
def test_api_token_create_use_and_revoke(client):
    user = make_person(Role.CSM, username="scripted")
    client.force_login(user)
    page = client.post(reverse("api_token"), {"action": "create"}).content.decode()
    key = re.search(r'data-testid="new-token">([0-9a-f]{40})<', page).group(1)
    client.logout()
    assert client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    client.force_login(user)
    again = client.get(reverse("api_token")).content.decode()
    assert key not in again  # shown once only
    client.post(reverse("api_token"), {"action": "revoke"})
    client.logout()
    assert client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {key}").status_code in (401, 403)
