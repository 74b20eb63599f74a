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

# --- Digests and calendar feeds (integrations.digests) -----------------------------
