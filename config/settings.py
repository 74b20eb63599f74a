"""Hourglass settings, read from the environment (12-factor, django-environ).

Embedded default (nothing but Python needed): SQLite file database in ``var/`` and a
Celery broker on kombu's filesystem transport in ``var/broker``.  Set ``DATABASE_URL``
and ``CELERY_BROKER_URL`` to use PostgreSQL and Redis.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HOURGLASS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# Production mode is DEBUG=false: secrets must come from the environment and every
# security setting of Django's deployment checklist is on (`manage.py check --deploy`).
PRODUCTION = not DEBUG
if PRODUCTION and not env.str("SECRET_KEY", default=""):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in the environment when DEBUG is false (production mode); "
        'generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )
SECRET_KEY = env.str(
    "SECRET_KEY",
    # Only for the embedded/dev default (DEBUG=true); production must set its own.
    default="hourglass-insecure-dev-key-change-me-0123456789abcdefghijklmnop",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "org",
    "accounts",
    "capacity",
    "health",
    "renewals",
    "playbooks",
    "knowledge",
    "outreach",
    "integrations.webhooks",
    "integrations.inbox",
    "integrations.crm",
    "integrations.digests",
    "workspace",
]

MIDDLEWARE = [
    # First: every log line of the request, and the response, carry its id.
    "core.observability.RequestIdMiddleware",
    "core.monitoring.metrics.MetricsMiddleware",  # requests, latency, queries by view (/metrics)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor: django-otp marks a verified session; ours holds back an unverified one.
    "django_otp.middleware.OTPMiddleware",
    "org.two_factor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An old link to an account moved away from its former owner: "moved to X" (accounts.moved).
    "accounts.moved.MovedAccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "org.middleware.ProfileLanguageCookieMiddleware",
    "org.middleware.SessionActivityMiddleware",  # sessions page: "last seen", once a minute at most
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspace.navigation.navigation",
                "core.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hourglass.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: WAL lets readers and a
    # writer overlap, IMMEDIATE transactions avoid "database is locked" on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "SQLITE_TEST_NAME", default=str(VAR_DIR / "test_hourglass.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Model choice fields and ``.iterator()`` open a server-side cursor by default (DECLARE,
    # FETCH, CLOSE: three round trips for a form's few choices); client-side cursors suffice.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Behind PgBouncer in transaction mode (docs/scaling.md) each transaction may run on
    # another server connection, so nothing may outlive a transaction on the server:
    # no server-side cursors (above), and no prepared statements. Django leaves psycopg's
    # auto-prepare off unless OPTIONS set ``prepare_threshold``; PgBouncer only keeps
    # prepared statements apart from 1.21 on (``max_prepared_statements``), Debian 12
    # ships 1.18, so a threshold there is refused unless the operator says their
    # PgBouncer supports them.
    HOURGLASS_PGBOUNCER = env.bool("HOURGLASS_PGBOUNCER", default=False)
    if HOURGLASS_PGBOUNCER:
        _db_options = DATABASES["default"].setdefault("OPTIONS", {})
        if _db_options.get("prepare_threshold") not in (None, "") and not env.bool(
            "HOURGLASS_PGBOUNCER_PREPARED_STATEMENTS", default=False
        ):
            raise ImproperlyConfigured(
                "HOURGLASS_PGBOUNCER is set and DATABASE_URL asks for prepared statements (prepare_threshold): "
                "PgBouncer before 1.21 (Debian 12 ships 1.18) mixes them up between clients in transaction mode. "
                "Drop prepare_threshold, or set HOURGLASS_PGBOUNCER_PREPARED_STATEMENTS=true for PgBouncer >= 1.21 "
                "with max_prepared_statements > 0."
            )
        _db_options.setdefault("prepare_threshold", None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and locks out brute force (django-axes) before checking.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the login audit (/audit/logins/) lists failures and lockouts
# Two-factor (docs/two-factor.md): roles that must enrol; whether SSO sessions count as verified.
HOURGLASS_2FA_REQUIRED_ROLES = env.list("HOURGLASS_2FA_REQUIRED_ROLES", default=[])
HOURGLASS_2FA_TRUST_SSO = env.bool("HOURGLASS_2FA_TRUST_SSO", default=True)
OTP_TOTP_ISSUER = env.str("HOURGLASS_2FA_ISSUER", default="Hourglass")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # Django admin never shows a secret key or a backup code
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my_day"
LOGOUT_REDIRECT_URL = "login"
# Single sign-on (OIDC): the OIDC_* and HOURGLASS_SSO_* settings, docs/sso.md.
from config.sso_settings import *  # noqa: E402, F403
from config.sso_settings import OIDC_RP_CLIENT_ID  # noqa: E402

if OIDC_RP_CLIENT_ID:
    INSTALLED_APPS.append("mozilla_django_oidc")
    # After django-axes (it stays first), before the password check; OIDC last.
    AUTHENTICATION_BACKENDS.insert(1, "org.sso.SsoOnlyPasswordGuard")
    AUTHENTICATION_BACKENDS.append("org.sso.OidcBackend")

# --- Security headers and cookies ----------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page, never from the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = PRODUCTION
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Behind a TLS-terminating proxy (load balancer, nginx) the app sees plain HTTP: trust
# its X-Forwarded-Proto only when told to, since a client could send the header too.
HOURGLASS_TRUST_PROXY_HEADERS = env.bool("HOURGLASS_TRUST_PROXY_HEADERS", default=False)
if HOURGLASS_TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The API schema and Swagger UI: public outside production mode, else for signed-in users.
HOURGLASS_PUBLIC_API_DOCS = env.bool("HOURGLASS_PUBLIC_API_DOCS", default=not PRODUCTION)
# No inline scripts or styles anywhere in our pages: everything comes from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- I18n -------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The empty choice of every django-filter filter: a word in the reader's language, not "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("Any")
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: without credentials DRF answers 401 with "WWW-Authenticate: Token"
    # (the first class's header); a session still authenticates, CSRF checked as before.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.json_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hourglass API",
    "DESCRIPTION": "Customer success operations: accounts, health, playbooks, renewals, capacity.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from our own static files: the app must work offline.
    # One name per choice set where several models call their field "status"/"kind".
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "accounts.models.account.AccountStatus",
        "PromiseStatusEnum": "accounts.models.dossier.PromiseStatus",
        "ImportRunStatusEnum": "accounts.models.imports.ImportRun.Status",
        "ImportKindEnum": "accounts.models.imports.ImportKind",
        "RiskKindEnum": "accounts.models.risk.RiskKind",
        "ProcessKindEnum": "accounts.models.dossier.ProcessKind",
        "AlertStatusEnum": "health.models.AlertStatus",
        "ContractStatusEnum": "renewals.models.ContractStatus",
        "RenewalStatusEnum": "renewals.models.RenewalStatus",
        "TaskStatusEnum": "playbooks.models.TaskStatus",
        "PlaybookOwnerRoleEnum": "playbooks.models.OwnerRole",
        "TriggerKindEnum": "playbooks.models.TriggerKind",
        "PresetKindEnum": "capacity.models.PresetKind",
        "TouchpointKindEnum": "accounts.models.timeline.TouchpointKind",
        "ExpansionKindEnum": "renewals.models.ExpansionKind",
        "ExpansionStageEnum": "renewals.expansion_models.ExpansionStage",
        "ExpansionOwnerRoleEnum": "renewals.expansion_models.ExpansionOwnerRole",
        "SurveyKindEnum": "outreach.models.SurveyKind",
        "SearchKindEnum": "workspace.search.sources.KINDS",
        "HealthColourEnum": "health.models.Colour",
        "SegmentKindEnum": "accounts.models.saved_segments.SegmentKind",
        "RenewalOutcomeEnum": ["renewed", "downgraded", "churned"],
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Error responses (400/401/403/404/405) of every operation (hardening: API fuzzing).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_schema.document_error_responses",
    ],
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")

# --- Cache ------------------------------------------------------------------------------
# Shared by every web process (cached figures must be invalidated for all of them):
# CACHE_URL if set (e.g. redis://host:6379/2), else the Redis broker when there is one,
# else files under HOURGLASS_VAR_DIR (the embedded default).
_DEFAULT_CACHE_URL = (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else f"filecache://{VAR_DIR / 'cache'}"
)
CACHES = {"default": env.cache_url("CACHE_URL", default=_DEFAULT_CACHE_URL)}
CACHES["default"].setdefault("KEY_PREFIX", "hourglass")
# Redelivery of lost tasks, the outbox lease and flush (docs/delivery.md).
from config.celery_settings import *  # noqa: E402, F403

if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The folder is polled; with late acks a worker fetches one message per poll,
        # so the default 1 s poll would cap the embedded setup at ~2 tasks a second.
        "polling_interval": 0.05,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# One message at a time keeps long tasks fair across workers on a real broker. The
# embedded broker has no push: the worker fetches only between 2-second drain cycles,
# so there it takes a batch per cycle instead of one message.
CELERY_WORKER_PREFETCH_MULTIPLIER = 16 if CELERY_BROKER_URL.startswith("filesystem://") else 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Email ------------------------------------------------------------------------
# Without an SMTP host (the embedded default) each email is printed to the console as one
# line (recipients and subject; the body stays in the outbox), so a demo does not retry
# deliveries to a server that is not there.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if env.str("EMAIL_HOST", default="")
    else "core.mail_backends.OneLineConsoleBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Hourglass <hourglass@localhost>")

# --- Logging ----------------------------------------------------------------------
# HOURGLASS_LOG_FORMAT=json writes one JSON object per line (for a log pipeline); every
# line carries the request id (X-Request-ID), also in Celery tasks sent by a request.
HOURGLASS_LOG_FORMAT = env.str("HOURGLASS_LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if HOURGLASS_LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
# The worker logs through LOGGING above (same format, request ids) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Hourglass --------------------------------------------------------------------
# The deployment's currency: every amount (ARR, contract values) is in it.
HOURGLASS_CURRENCY = env.str("HOURGLASS_CURRENCY", default="CNY")

# Segment bands: the lower ARR bound (inclusive) of each segment, highest first.
# Defaults follow typical contract sizes (US$ ~100K / ~20K / ~5K / <=1K a year), cut at
# the midpoints; the top cut is the US$50K "large customer" of the hiring triggers.
# CNY figures are the US$ ones at about 7 CNY per US$.
_DEFAULT_SEGMENT_BANDS = {
    "USD": {"enterprise": 50_000, "mid_market": 10_000, "smb": 2_000, "tech_touch": 0},
    "CNY": {"enterprise": 350_000, "mid_market": 70_000, "smb": 14_000, "tech_touch": 0},
}
HOURGLASS_SEGMENT_BANDS: dict[str, Decimal] = {
    key: Decimal(str(value))
    for key, value in env.json(
        "HOURGLASS_SEGMENT_BANDS",
        default=_DEFAULT_SEGMENT_BANDS.get(HOURGLASS_CURRENCY, _DEFAULT_SEGMENT_BANDS["USD"]),
    ).items()
}

# How often each stakeholder tier should be contacted, in days (domain.md §2: each
# company sets its own service standard per tier). These seed the admin-editable
# ``ContactCadence`` table (tier defaults + per-segment overrides) and are the fallback
# for a tier that has no default row there.
HOURGLASS_CONTACT_CADENCE_DAYS: dict[str, int] = env.json(
    "HOURGLASS_CONTACT_CADENCE_DAYS", default={"S": 30, "A": 30, "B": 60}
)
# CSV imports with more rows than this run on a Celery worker, with a progress bar.
HOURGLASS_IMPORT_ASYNC_ROWS = env.int("HOURGLASS_IMPORT_ASYNC_ROWS", default=2000)

# A dossier section not updated for this many days is stale (counts half).
HOURGLASS_DOSSIER_STALE_DAYS = env.int("HOURGLASS_DOSSIER_STALE_DAYS", default=90)
# Managers should review each dossier at least this often.
HOURGLASS_DOSSIER_REVIEW_INTERVAL_DAYS = env.int("HOURGLASS_DOSSIER_REVIEW_INTERVAL_DAYS", default=90)
# Absolute links in emails and notifications point here.
HOURGLASS_BASE_URL = env.str("HOURGLASS_BASE_URL", default="http://localhost:8000")
HOURGLASS_INVITE_DAYS = env.int("HOURGLASS_INVITE_DAYS", default=7)  # days an invitation link works

# The queue tasks go to unless routed elsewhere; tests use their own so that a shared
# broker never mixes their messages with a running deployment's.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# --- Backups (manage.py backup / restore, docs/backups.md) ------------------------------
HOURGLASS_BACKUP_DIR = Path(env.str("HOURGLASS_BACKUP_DIR", default=str(VAR_DIR / "backups")))
# How many backups `manage.py backup` keeps in HOURGLASS_BACKUP_DIR (the newest ones).
HOURGLASS_BACKUP_KEEP = env.int("HOURGLASS_BACKUP_KEEP", default=14)

for _folder in (VAR_DIR, STATIC_ROOT, VAR_DIR / "broker" / "queue", VAR_DIR / "broker" / "control"):
    _folder.mkdir(parents=True, exist_ok=True)

# --- The domain apps (health, renewals, playbooks, capacity): config/domain_settings.py
from config.domain_settings import *  # noqa: E402, F403

# --- Integrations (webhooks, chat, inbox, CRM sync, digests): config/integrations_settings.py
from config.integrations_settings import *  # noqa: E402, F403

# --- Outreach (surveys to customers): config/outreach_settings.py
from config.outreach_settings import *  # noqa: E402, F403

# --- Monitoring and data retention (docs/monitoring.md: every variable explained) ------
HOURGLASS_METRICS_TOKEN = env.str("HOURGLASS_METRICS_TOKEN", default="")  # neither set: /metrics 403
HOURGLASS_METRICS_ALLOW = env.list("HOURGLASS_METRICS_ALLOW", default=[])  # addresses/networks
HOURGLASS_JOB_LATE_GRACE_MINUTES = env.int("HOURGLASS_JOB_LATE_GRACE_MINUTES", default=60)
HOURGLASS_OUTBOX_ALERT_MINUTES = env.int("HOURGLASS_OUTBOX_ALERT_MINUTES", default=30)
HOURGLASS_EVENT_RETENTION_DAYS = env.int("HOURGLASS_EVENT_RETENTION_DAYS", default=400)  # 0: for ever
HOURGLASS_TIMELINE_SYSTEM_RETENTION_DAYS = env.int("HOURGLASS_TIMELINE_SYSTEM_RETENTION_DAYS", default=730)
HOURGLASS_DELIVERY_LOG_RETENTION_DAYS = env.int("HOURGLASS_DELIVERY_LOG_RETENTION_DAYS", default=90)
HOURGLASS_RETENTION_BATCH = env.int("HOURGLASS_RETENTION_BATCH", default=5000)

# Audit log: history and login rows older than this many days are purged nightly; 0 keeps all.
HOURGLASS_AUDIT_RETENTION_DAYS = env.int("HOURGLASS_AUDIT_RETENTION_DAYS", default=730)
