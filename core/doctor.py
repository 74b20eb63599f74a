"""``manage.py doctor``: is this deployment configured and running as it should?

Each check returns findings with a level and one actionable line (what is wrong and
what to do). ``error`` means the deployment is broken or unsafe; ``warning`` that it
works but something is likely unintended. Django's own ``check --deploy`` covers the
security middleware settings; this covers what only Hourglass knows.
"""

from __future__ import annotations

import os
import smtplib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .backups import backups_in
from .formatting import deployment_currency
from .health import check_broker, check_database
from .models import WorkerHeartbeat

OK, WARNING, ERROR = "ok", "warning", "error"
DEV_SECRET_KEY_PREFIX = "hourglass-insecure-"  # noqa: S105 - the dev default, recognised to refuse it
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}
# The heartbeat task runs every minute (config/celery_app.py): a few missed beats mean
# beat or every worker is down.
HEARTBEAT_STALE = timedelta(minutes=5)
BACKUP_STALE = timedelta(hours=26)
NON_SENDING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "printed to the console",
    "core.mail_backends.OneLineConsoleBackend": "printed to the console",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
    "django.core.mail.backends.dummy.EmailBackend": "dropped",
    "django.core.mail.backends.filebased.EmailBackend": "written to files",
}


@dataclass(frozen=True)
class Finding:
    level: str
    check: str
    message: str


def _production() -> bool:
    return not settings.DEBUG


def check_secret_key() -> list[Finding]:
    key = settings.SECRET_KEY
    level = ERROR if _production() else WARNING
    if key.startswith(DEV_SECRET_KEY_PREFIX):
        return [
            Finding(
                level,
                "secret_key",
                "SECRET_KEY is the built-in development key: set SECRET_KEY to "
                'the output of: python -c "import secrets; print(secrets.token_urlsafe(50))"',
            )
        ]
    if len(key) < 50 or len(set(key)) < 5:
        return [
            Finding(
                level,
                "secret_key",
                f"SECRET_KEY is weak ({len(key)} characters, {len(set(key))} distinct): "
                "use at least 50 random characters (secrets.token_urlsafe(50))",
            )
        ]
    return [Finding(OK, "secret_key", "SECRET_KEY is set and long enough")]


def check_debug_and_hosts() -> list[Finding]:
    hosts = list(settings.ALLOWED_HOSTS)
    public = [host for host in hosts if host not in LOCAL_HOSTS]
    findings = []
    if settings.DEBUG:
        if public:
            findings.append(
                Finding(
                    ERROR,
                    "debug",
                    f"DEBUG is on while serving {', '.join(public)}: set DEBUG=false "
                    "(tracebacks and settings are shown to anyone)",
                )
            )
        else:
            findings.append(Finding(WARNING, "debug", "DEBUG is on (development mode): set DEBUG=false in production"))
    else:
        findings.append(Finding(OK, "debug", "DEBUG is off (production mode)"))
    if "*" in hosts:
        findings.append(
            Finding(
                ERROR if _production() else WARNING,
                "allowed_hosts",
                "ALLOWED_HOSTS contains '*': list the host names people use, e.g. ALLOWED_HOSTS=hourglass.example.com",
            )
        )
    elif _production() and not public:
        findings.append(
            Finding(
                ERROR,
                "allowed_hosts",
                "ALLOWED_HOSTS names only local hosts: add the public host "
                "name, e.g. ALLOWED_HOSTS=hourglass.example.com",
            )
        )
    else:
        findings.append(Finding(OK, "allowed_hosts", f"ALLOWED_HOSTS: {', '.join(hosts)}"))
    if _production() and public and settings.HOURGLASS_BASE_URL.startswith("http://localhost"):
        findings.append(
            Finding(
                WARNING,
                "base_url",
                "HOURGLASS_BASE_URL is still http://localhost:8000: links in "
                f"emails will not work; set it to e.g. https://{public[0]}",
            )
        )
    return findings


def check_email(timeout: float = 5.0) -> list[Finding]:
    backend = settings.EMAIL_BACKEND
    if backend in NON_SENDING_BACKENDS:
        fate = NON_SENDING_BACKENDS[backend]
        return [
            Finding(
                ERROR if _production() else WARNING,
                "email",
                f"emails are {fate}, not sent: set EMAIL_HOST "
                "(and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) to your SMTP relay",
            )
        ]
    if backend != "django.core.mail.backends.smtp.EmailBackend":
        return [Finding(OK, "email", f"email backend {backend} (not checked)")]
    address = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    try:
        with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return [
            Finding(
                ERROR,
                "email",
                f"the SMTP server {address} does not answer ({type(exc).__name__}: {exc}): "
                "check EMAIL_HOST / EMAIL_PORT and the firewall; emails wait in the outbox meanwhile",
            )
        ]
    return [Finding(OK, "email", f"SMTP server {address} answers")]


def check_database_and_migrations() -> list[Finding]:
    error = check_database()
    if error:
        return [
            Finding(
                ERROR,
                "database",
                f"the database does not answer ({error}): check DATABASE_URL and that the server runs",
            )
        ]
    findings = [Finding(OK, "database", f"database reachable ({connection.vendor})")]
    if connection.vendor == "sqlite" and _production():
        findings.append(
            Finding(
                WARNING,
                "database",
                "production mode on SQLite: one host only; use PostgreSQL "
                "(DATABASE_URL=postgres://…) for more than a small team",
            )
        )
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    unknown = sorted(set(executor.loader.applied_migrations) - set(executor.loader.disk_migrations))
    if pending:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _backwards in pending[:3])
        findings.append(
            Finding(ERROR, "migrations", f"{len(pending)} migration(s) not applied ({names}…): run manage.py migrate")
        )
    elif unknown:
        findings.append(
            Finding(
                ERROR,
                "migrations",
                f"the database has {len(unknown)} migration(s) this code does "
                f"not know (e.g. {unknown[0][0]}.{unknown[0][1]}): it was migrated by a newer "
                "Hourglass; deploy that version",
            )
        )
    else:
        findings.append(Finding(OK, "migrations", "every migration is applied"))
    return findings


def check_broker_and_beat() -> list[Finding]:
    findings = []
    error = check_broker()
    if error:
        findings.append(
            Finding(
                ERROR,
                "broker",
                f"the Celery broker does not answer ({error}): check CELERY_BROKER_URL and that Redis runs",
            )
        )
    else:
        findings.append(Finding(OK, "broker", "Celery broker reachable"))
        if settings.CELERY_BROKER_URL.startswith("filesystem://") and _production():
            findings.append(
                Finding(
                    WARNING,
                    "broker",
                    "the embedded file-system broker serves one host only: use "
                    "Redis (CELERY_BROKER_URL=redis://…) to run workers on several hosts",
                )
            )
    try:
        heartbeat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    except Exception as exc:  # noqa: BLE001 - reported by the database check; say so here too
        return [*findings, Finding(ERROR, "beat", f"cannot read worker heartbeats ({type(exc).__name__})")]
    if heartbeat is None:
        findings.append(
            Finding(
                ERROR,
                "beat",
                "no worker heartbeat yet: start `celery -A config beat` (exactly one) "
                "and `celery -A config worker`; the heartbeat runs every minute",
            )
        )
    else:
        age = timezone.now() - heartbeat.last_seen
        if age > HEARTBEAT_STALE:
            findings.append(
                Finding(
                    ERROR,
                    "beat",
                    f"the last worker heartbeat is {int(age.total_seconds() // 60)} "
                    f"minutes old ({heartbeat.hostname}): beat or every worker is down; "
                    "check `systemctl status hourglass-beat hourglass-worker@*`",
                )
            )
        else:
            findings.append(
                Finding(
                    OK,
                    "beat",
                    f"beat and a worker are running (heartbeat from {heartbeat.hostname}, "
                    f"{int(age.total_seconds())} s ago)",
                )
            )
    return findings


def _currency() -> tuple[str, str]:
    """The currency the pages show (the one saved in Settings, else ``HOURGLASS_CURRENCY``)
    and where it comes from; the environment's when the database cannot be read (the
    database check says why)."""
    seeded = str(settings.HOURGLASS_CURRENCY)
    try:
        shown = deployment_currency()
    except DatabaseError:
        return seeded, "HOURGLASS_CURRENCY"
    return shown, ("HOURGLASS_CURRENCY" if shown == seeded else "saved in Settings")


def check_time_zone_and_currency() -> list[Finding]:
    findings = []
    try:
        zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        findings.append(
            Finding(
                ERROR,
                "time_zone",
                f"TIME_ZONE={settings.TIME_ZONE!r} is not a known zone: use an "
                "IANA name such as Asia/Shanghai or Europe/Berlin",
            )
        )
    else:
        findings.append(
            Finding(
                OK,
                "time_zone",
                f"time zone {settings.TIME_ZONE}: days, stages and the nightly jobs follow its midnight",
            )
        )
    currency, source = _currency()
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        findings.append(
            Finding(ERROR, "currency", f"{source} {currency!r} is not an ISO 4217 code: use e.g. CNY or USD")
        )
    elif currency not in {"CNY", "USD"} and "HOURGLASS_SEGMENT_BANDS" not in os.environ:
        findings.append(
            Finding(
                WARNING,
                "currency",
                f"currency {currency} has no built-in segment bands (the US$ "
                "ones apply): set HOURGLASS_SEGMENT_BANDS in your currency",
            )
        )
    else:
        findings.append(Finding(OK, "currency", f"currency {currency} ({source})"))
    return findings


def check_static_and_backups() -> list[Finding]:
    findings = []
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    if "Manifest" in backend and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        findings.append(
            Finding(
                ERROR,
                "static",
                f"static files are not collected into {settings.STATIC_ROOT}: run manage.py collectstatic --noinput",
            )
        )
    backups = backups_in(Path(settings.HOURGLASS_BACKUP_DIR))
    if not backups:
        findings.append(
            Finding(
                WARNING,
                "backups",
                f"no backup in {settings.HOURGLASS_BACKUP_DIR}: schedule "
                "manage.py backup (deploy/systemd/hourglass-backup.timer)",
            )
        )
    else:
        age = timezone.now() - datetime.fromtimestamp(backups[-1].stat().st_mtime, tz=UTC)
        level = WARNING if age > BACKUP_STALE else OK
        findings.append(
            Finding(
                level,
                "backups",
                f"latest backup {backups[-1].name}, {int(age.total_seconds() // 3600)} h old ({len(backups)} kept)",
            )
        )
    return findings


CHECKS: tuple[Callable[[], list[Finding]], ...] = (
    check_secret_key,
    check_debug_and_hosts,
    check_database_and_migrations,
    check_broker_and_beat,
    check_email,
    check_time_zone_and_currency,
    check_static_and_backups,
)


def doctor_run() -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check())
    return findings
