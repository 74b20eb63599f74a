"""The API schema and Swagger UI need a signed-in user unless HOURGLASS_PUBLIC_API_DOCS;
the proxy's X-Forwarded-Proto is trusted only when HOURGLASS_TRUST_PROXY_HEADERS says so."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token

from tests.core.test_security import run_manage
from tests.factories import make_person

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x9" * 30 + "-prod-secret-for-the-check",
    "ALLOWED_HOSTS": "hourglass.example.com",
}
PRINT = "from django.conf import settings; print(getattr(settings, '{}', None))"


@pytest.mark.django_db
@override_settings(HOURGLASS_PUBLIC_API_DOCS=False)
def test_private_docs_deny_anonymous_readers_and_serve_signed_in_ones(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/login/?next=/api/docs/")

    person = make_person(username="reader")
    token = Token.objects.create(user=person)
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    client.force_login(person)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
@override_settings(HOURGLASS_PUBLIC_API_DOCS=True)
def test_public_docs_are_served_to_anyone(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_production_keeps_the_docs_private_and_trusts_no_proxy_header_by_default(tmp_path):
    env = {**PRODUCTION_ENV, "HOURGLASS_VAR_DIR": str(tmp_path)}
    docs = run_manage("shell", "--no-imports", "-c", PRINT.format("HOURGLASS_PUBLIC_API_DOCS"), **env)
    proxy = run_manage("shell", "--no-imports", "-c", PRINT.format("SECURE_PROXY_SSL_HEADER"), **env)
    assert docs.stdout.strip() == "False", docs.stderr
    assert proxy.stdout.strip() == "None", proxy.stderr


def test_a_trusted_proxy_is_configured_explicitly(tmp_path):
    env = {**PRODUCTION_ENV, "HOURGLASS_VAR_DIR": str(tmp_path), "HOURGLASS_TRUST_PROXY_HEADERS": "true"}
    proxy = run_manage("shell", "--no-imports", "-c", PRINT.format("SECURE_PROXY_SSL_HEADER"), **env)
    assert proxy.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", proxy.stderr
