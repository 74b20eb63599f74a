"""Settings of the integrations apps (webhooks and chat, the inbound-email inbox, CRM
sync, digests and calendar feeds), from the environment; docs/integrations.md.

``config/settings.py`` imports these. Read after settings loaded ``.env``.
"""

from __future__ import annotations

import ipaddress

import environ

env = environ.Env()

# --- Webhooks and chat (integrations.webhooks) -------------------------------------
# docs/webhooks.md. Outbound HTTP to loopback/private/link-local addresses is refused in
# production (SSRF guard, checked on the resolved address at send time) unless allowed.
HOURGLASS_WEBHOOK_ALLOW_PRIVATE = env.bool("HOURGLASS_WEBHOOK_ALLOW_PRIVATE", default=env.bool("DEBUG", default=True))
HOURGLASS_WEBHOOK_TIMEOUT_SECONDS = env.float("HOURGLASS_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# A receiver's answer is read up to this many bytes (the log keeps the first 512).
HOURGLASS_WEBHOOK_RESPONSE_LIMIT = env.int("HOURGLASS_WEBHOOK_RESPONSE_LIMIT", default=16384)
HOURGLASS_WEBHOOK_MAX_ATTEMPTS = env.int("HOURGLASS_WEBHOOK_MAX_ATTEMPTS", default=12)
# First retry after this many seconds, doubling per attempt (capped at 6 hours).
HOURGLASS_WEBHOOK_RETRY_BASE_SECONDS = env.float("HOURGLASS_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
# Consecutive failed attempts that open an endpoint's circuit breaker.
HOURGLASS_WEBHOOK_BREAKER_THRESHOLD = env.int("HOURGLASS_WEBHOOK_BREAKER_THRESHOLD", default=5)
HOURGLASS_WEBHOOK_DISABLE_AFTER_HOURS = env.float("HOURGLASS_WEBHOOK_DISABLE_AFTER_HOURS", default=24.0)
# Networks (CIDR) allowed even while private targets are refused, e.g. an internal gateway.
HOURGLASS_WEBHOOK_ALLOW_NETWORKS = [
    str(ipaddress.ip_network(net, strict=False)) for net in env.list("HOURGLASS_WEBHOOK_ALLOW_NETWORKS", default=[])
]
# Requests in flight per delivering worker process (each endpoint ramps up from one).
HOURGLASS_WEBHOOK_CONCURRENCY = env.int("HOURGLASS_WEBHOOK_CONCURRENCY", default=8)
# CA bundle (PEM file) that verifies https receivers; empty: certifi's, as requests uses.
HOURGLASS_WEBHOOK_CA_BUNDLE = env.str("HOURGLASS_WEBHOOK_CA_BUNDLE", default="")
# A callable (host, port) -> addresses; None: the system resolver (a seam for tests only).
HOURGLASS_WEBHOOK_RESOLVER = None

# --- Inbound email inbox (integrations.inbox) --------------------------------------

# docs/inbox.md. Where `manage.py runinbox` listens for SMTP (BCC'd and forwarded email).
HOURGLASS_INBOX_HOST = env.str("HOURGLASS_INBOX_HOST", default="127.0.0.1")
HOURGLASS_INBOX_PORT = env.int("HOURGLASS_INBOX_PORT", default=2525)
# Recipient domains the listener accepts (log@<domain>); empty accepts any recipient.
HOURGLASS_INBOX_DOMAINS = env.list("HOURGLASS_INBOX_DOMAINS", default=[])
# Largest message accepted, bytes (bigger ones get SMTP 552).
HOURGLASS_INBOX_MAX_BYTES = env.int("HOURGLASS_INBOX_MAX_BYTES", default=10 * 1024 * 1024)
# Shared mailbox providers: an address there never matches an account by its domain.
HOURGLASS_INBOX_PUBLIC_DOMAINS = env.list(
    "HOURGLASS_INBOX_PUBLIC_DOMAINS",
    default=["gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "qq.com", "163.com",
             "126.com", "sina.com", "foxmail.com", "aliyun.com"],
)  # fmt: skip

# --- CRM sync (integrations.crm) -----------------------------------------------------

# docs/crm-sync.md. Rows one POST /api/v1/sync/{accounts,stakeholders} may carry (413 above).
HOURGLASS_CRM_SYNC_MAX_ROWS = env.int("HOURGLASS_CRM_SYNC_MAX_ROWS", default=5000)

# --- Digests and calendar feeds (integrations.digests) -----------------------------

# docs/digests.md. People without a saved preference get the daily digest (false: none).
HOURGLASS_DIGEST_DAILY_DEFAULT = env.bool("HOURGLASS_DIGEST_DAILY_DEFAULT", default=True)
# Their digest time, HH:MM in the site's TIME_ZONE (each person may pick another).
HOURGLASS_DIGEST_DEFAULT_TIME = env.str("HOURGLASS_DIGEST_DEFAULT_TIME", default="08:00")
# People whose digests one task builds (the sweep fans out in batches of this size).
HOURGLASS_DIGEST_BATCH = env.int("HOURGLASS_DIGEST_BATCH", default=100)
# Days ahead a calendar feed lists task due dates and renewal dates (and as many back for tasks).
HOURGLASS_CALENDAR_HORIZON_DAYS = env.int("HOURGLASS_CALENDAR_HORIZON_DAYS", default=365)
