"""``manage.py doctor``: each check names what is wrong and what to do; exit 1 on errors."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core import doctor
from core.models import WorkerHeartbeat
from core.services import heartbeat_record
from tests.conftest import free_port

GOOD_KEY = "k3-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def levels(findings: list[doctor.Finding], check: str) -> list[str]:
    return [finding.level for finding in findings if finding.check == check]


def message(findings: list[doctor.Finding], check: str) -> str:
    return " | ".join(finding.message for finding in findings if finding.check == check)


@pytest.fixture
def production(settings: Any, tmp_path: Any) -> Any:
    settings.DEBUG = False
    settings.SECRET_KEY = GOOD_KEY
    settings.ALLOWED_HOSTS = ["hourglass.example.com"]
    settings.HOURGLASS_BASE_URL = "https://hourglass.example.com"
    settings.HOURGLASS_BACKUP_DIR = tmp_path / "backups"
    return settings


def test_secret_key(production: Any) -> None:
    assert levels(doctor.check_secret_key(), "secret_key") == ["ok"]
    production.SECRET_KEY = "hourglass-insecure-dev-key-change-me-0123456789abcdefghijklmnop"
    assert levels(doctor.check_secret_key(), "secret_key") == ["error"]
    assert "secrets.token_urlsafe(50)" in message(doctor.check_secret_key(), "secret_key")
    production.SECRET_KEY = "short"
    assert "weak (5 characters" in message(doctor.check_secret_key(), "secret_key")
    production.DEBUG = True  # development: a warning, not an error
    assert levels(doctor.check_secret_key(), "secret_key") == ["warning"]


def test_debug_and_allowed_hosts(production: Any) -> None:
    findings = doctor.check_debug_and_hosts()
    assert levels(findings, "debug") == ["ok"] and levels(findings, "allowed_hosts") == ["ok"]
    production.ALLOWED_HOSTS = ["*"]
    assert levels(doctor.check_debug_and_hosts(), "allowed_hosts") == ["error"]
    production.ALLOWED_HOSTS = ["localhost"]
    assert "add the public host name" in message(doctor.check_debug_and_hosts(), "allowed_hosts")
    production.ALLOWED_HOSTS = ["hourglass.example.com"]
    production.DEBUG = True
    assert levels(doctor.check_debug_and_hosts(), "debug") == ["error"]
    assert "DEBUG is on while serving hourglass.example.com" in message(doctor.check_debug_and_hosts(), "debug")
    production.DEBUG = False
    production.HOURGLASS_BASE_URL = "http://localhost:8000"
    assert "links in emails will not work" in message(doctor.check_debug_and_hosts(), "base_url")


def test_email_backend_and_a_real_smtp_server(production: Any, smtp_server: Any) -> None:
    assert levels(doctor.check_email(), "email") == ["ok"]
    assert f"127.0.0.1:{smtp_server.port} answers" in message(doctor.check_email(), "email")
    production.EMAIL_PORT = free_port()  # nothing listens there
    findings = doctor.check_email(timeout=2)
    assert levels(findings, "email") == ["error"]
    assert f"127.0.0.1:{production.EMAIL_PORT} does not answer" in message(findings, "email")
    production.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert "printed to the console, not sent: set EMAIL_HOST" in message(doctor.check_email(), "email")
    assert levels(doctor.check_email(), "email") == ["error"]


@pytest.mark.django_db
def test_broker_and_beat(production: Any) -> None:
    findings = doctor.check_broker_and_beat()
    assert levels(findings, "broker")[0] == "ok"
    assert levels(findings, "beat") == ["error"]
    assert "no worker heartbeat yet" in message(findings, "beat")

    heartbeat_record(hostname="worker1@web1")
    assert levels(doctor.check_broker_and_beat(), "beat") == ["ok"]
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(minutes=12))
    stale = doctor.check_broker_and_beat()
    assert levels(stale, "beat") == ["error"]
    assert "12 minutes old (worker1@web1)" in message(stale, "beat")

    production.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    production.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    down = doctor.check_broker_and_beat()
    assert levels(down, "broker") == ["error"]
    assert "CELERY_BROKER_URL" in message(down, "broker")


@pytest.mark.django_db
def test_database_and_pending_migrations(production: Any) -> None:
    findings = doctor.check_database_and_migrations()
    assert levels(findings, "database")[0] == "ok"
    assert levels(findings, "migrations") == ["ok"]

    # Forget that the newest core migration ran: the doctor sees it pending.
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="core").order_by("-name").first()
    assert latest is not None
    latest.delete()
    pending = doctor.check_database_and_migrations()
    assert levels(pending, "migrations") == ["error"]
    assert f"core.{latest.name}" in message(pending, "migrations")
    assert "run manage.py migrate" in message(pending, "migrations")

    # A migration this code does not know: migrated by a newer release.
    recorder.migration_qs.create(app=latest.app, name=latest.name)
    recorder.migration_qs.create(app="core", name="9999_from_a_newer_release")
    newer = doctor.check_database_and_migrations()
    assert "migrated by a newer Hourglass" in message(newer, "migrations")


def test_time_zone_and_currency(production: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert levels(doctor.check_time_zone_and_currency(), "time_zone") == ["ok"]
    production.TIME_ZONE = "Mars/Olympus_Mons"
    assert "is not a known zone" in message(doctor.check_time_zone_and_currency(), "time_zone")
    production.HOURGLASS_CURRENCY = "EURO"
    assert levels(doctor.check_time_zone_and_currency(), "currency") == ["error"]
    production.HOURGLASS_CURRENCY = "EUR"
    monkeypatch.delenv("HOURGLASS_SEGMENT_BANDS", raising=False)
    assert "set HOURGLASS_SEGMENT_BANDS" in message(doctor.check_time_zone_and_currency(), "currency")


@pytest.mark.django_db
def test_the_currency_checked_is_the_one_saved_in_settings(
    production: Any, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from org.models import SettingsSection
    from org.operations_settings import operations_settings_update

    production.HOURGLASS_CURRENCY = "CNY"
    assert message(doctor.check_time_zone_and_currency(), "currency") == "currency CNY (HOURGLASS_CURRENCY)"
    # The pages show the saved EUR, not the environment's CNY: the doctor checks EUR.
    operations_settings_update(actor=org.admin, section=SettingsSection.CURRENCY, values={"currency": "EUR"})
    monkeypatch.delenv("HOURGLASS_SEGMENT_BANDS", raising=False)
    findings = doctor.check_time_zone_and_currency()
    assert levels(findings, "currency") == ["warning"]
    assert "currency EUR has no built-in segment bands" in message(findings, "currency")
    # A bad seed no longer matters once a valid currency is saved.
    production.HOURGLASS_CURRENCY = "EURO"
    operations_settings_update(actor=org.admin, section=SettingsSection.CURRENCY, values={"currency": "USD"})
    assert message(doctor.check_time_zone_and_currency(), "currency") == "currency USD (saved in Settings)"


def test_static_files_and_backups(production: Any, tmp_path: Any) -> None:
    production.STATIC_ROOT = tmp_path / "static"
    production.STORAGES = {**production.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}  # fmt: skip
    findings = doctor.check_static_and_backups()
    assert "run manage.py collectstatic" in message(findings, "static")
    assert "no backup in" in message(findings, "backups")


@pytest.mark.django_db
def test_the_command_prints_one_line_per_check_and_exits_1_on_errors(production: Any, smtp_server: Any) -> None:
    production.SECRET_KEY = "short"
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("doctor", stdout=out)
    assert exited.value.code == 1
    text = out.getvalue()
    assert "ERROR   secret_key" in text
    assert "error(s)" in text.splitlines()[-1]

    production.SECRET_KEY = GOOD_KEY
    heartbeat_record(hostname="worker1@web1")
    production.STORAGES = {**production.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    out = StringIO()
    try:
        call_command("doctor", "--quiet", stdout=out)  # no SystemExit: no errors
    except SystemExit:
        raise AssertionError(out.getvalue()) from None
    assert out.getvalue().splitlines()[-1].startswith("0 error(s)")
    assert "OK " not in out.getvalue()
