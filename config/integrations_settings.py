"""Settings of the integrations apps (webhooks and chat, the inbound-email inbox, CRM
sync, digests and calendar feeds), from the environment; docs/integrations.md.

``config/settings.py`` imports these. Read after settings loaded ``.env``.
"""

from __future__ import annotations

import environ

env = environ.Env()

# --- Webhooks and chat (integrations.webhooks) -------------------------------------

# --- Inbound email inbox (integrations.inbox) --------------------------------------

# --- CRM sync (integrations.crm) -----------------------------------------------------

# docs/crm-sync.md. Rows one POST /api/v1/sync/{accounts,stakeholders} may carry (413 above).
HOURGLASS_CRM_SYNC_MAX_ROWS = env.int("HOURGLASS_CRM_SYNC_MAX_ROWS", default=5000)

# --- Digests and calendar feeds (integrations.digests) -----------------------------
