"""Delivery that survives a killed worker: Celery redelivery and the email outbox's lease.

``config/settings.py`` imports these inside its Celery section; docs/delivery.md explains
each variable and what a test shows about it.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()
_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")

# A task whose worker process died (SIGKILL, out of memory) goes back to the queue and runs
# again instead of being acknowledged as failed (late acks are on, see settings.py). Every
# task must therefore be idempotent, which the outbox claim and the unique claim rows make them.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis: a task taken by a worker that then vanished (whole worker killed, host lost) is
# delivered again after this many seconds. Keep it above the longest task and any countdown:
# a task still running (or waiting for its ETA) that long is delivered a second time.
HOURGLASS_BROKER_VISIBILITY_TIMEOUT = env.int("HOURGLASS_BROKER_VISIBILITY_TIMEOUT", default=1800)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {"visibility_timeout": HOURGLASS_BROKER_VISIBILITY_TIMEOUT} if _BROKER_URL.startswith(("redis", "rediss")) else {}
)

# The outbox claim's lease: a worker extends it every third of it while it sends, so a dead
# worker's emails are re-claimed at most this long after it died (by the next flush).
HOURGLASS_OUTBOX_LEASE_SECONDS = env.int("HOURGLASS_OUTBOX_LEASE_SECONDS", default=60)
# How often beat runs the outbox flush (retries due, rescues what a dead worker held).
HOURGLASS_OUTBOX_FLUSH_SECONDS = env.int("HOURGLASS_OUTBOX_FLUSH_SECONDS", default=15)
if HOURGLASS_OUTBOX_LEASE_SECONDS < 3 or HOURGLASS_OUTBOX_FLUSH_SECONDS < 1:
    raise ImproperlyConfigured(
        "HOURGLASS_OUTBOX_LEASE_SECONDS must be at least 3 and HOURGLASS_OUTBOX_FLUSH_SECONDS at least 1"
    )
