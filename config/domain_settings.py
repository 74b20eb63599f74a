"""The domain apps' settings (health, renewals, playbooks, capacity), from the environment.

``config/settings.py`` imports these; every variable is explained beside it and in the
app's page under ``docs/``. Read after settings loaded ``.env``.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()
_LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")

# --- Health: usage-event ingest (health app) ---------------------------------------
# Events per API token and minute that POST /api/v1/events/bulk accepts (429 beyond;
# 0: no limit). Keep it above what one server sustains (docs/scaling.md).
HOURGLASS_INGEST_EVENTS_PER_MINUTE = env.int("HOURGLASS_INGEST_EVENTS_PER_MINUTE", default=6_000_000)
# Deprecated: requests per token (DRF rate syntax "120/min"); unset, requests are not
# counted. Use HOURGLASS_INGEST_EVENTS_PER_MINUTE.
HOURGLASS_INGEST_RATE = env.str("HOURGLASS_INGEST_RATE", default="")
# One request holds at most this many events and this many bytes (else 413).
HOURGLASS_INGEST_MAX_EVENTS = env.int("HOURGLASS_INGEST_MAX_EVENTS", default=10_000)
HOURGLASS_INGEST_MAX_BYTES = env.int("HOURGLASS_INGEST_MAX_BYTES", default=10 * 1024 * 1024)
# Seconds an API client is told to wait (Retry-After of the 503) when the database
# cannot be reached: a restart or failover usually takes this long.
HOURGLASS_DB_RETRY_AFTER = env.int("HOURGLASS_DB_RETRY_AFTER", default=5)
# PostgreSQL: how many monthly event partitions the daily beat task keeps ready ahead.
HOURGLASS_EVENT_PARTITIONS_AHEAD = env.int("HOURGLASS_EVENT_PARTITIONS_AHEAD", default=3)

# --- Renewals (renewals app) ---------------------------------------------------------
# HOURGLASS_BASE_URL (absolute links in the reminder emails) is defined above.
# Days before a renewal date at which the owner CSM is reminded, e.g. "90,60,30,7".
HOURGLASS_RENEWAL_REMINDER_DAYS = env.list("HOURGLASS_RENEWAL_REMINDER_DAYS", cast=int, default=[90, 60, 30, 7])
# A still-open renewal this many days past its date gets no more (late) reminders.
HOURGLASS_RENEWAL_REMINDER_OVERDUE_DAYS = env.int("HOURGLASS_RENEWAL_REMINDER_OVERDUE_DAYS", default=30)
# Renewals claimed and queued per transaction by the reminder sweep.
HOURGLASS_RENEWAL_REMINDER_BATCH_SIZE = env.int("HOURGLASS_RENEWAL_REMINDER_BATCH_SIZE", default=200)
# Customer-facing reminders to the level-1 contact (contract decision maker): off by
# default; when on, only contracts marked "customer reminders" get them, in the
# contract's customer language or else this one.
HOURGLASS_RENEWAL_CUSTOMER_REMINDERS = env.bool("HOURGLASS_RENEWAL_CUSTOMER_REMINDERS", default=False)
HOURGLASS_RENEWAL_CUSTOMER_LANGUAGE = env.str("HOURGLASS_RENEWAL_CUSTOMER_LANGUAGE", default=_LANGUAGE_CODE)

# --- Health: activity-drop alerts, NPS and health scores (health app) ---------------
# An account's activity "drops" when its last 7 days hold more than this share fewer
# events than the average of the four 7-day windows before (same weekdays) ...
HOURGLASS_ACTIVITY_DROP_SHARE = env.float("HOURGLASS_ACTIVITY_DROP_SHARE", default=0.5)
# ... provided that baseline had at least this many events per 7 days (small accounts
# are too noisy to alert on) ...
HOURGLASS_ACTIVITY_DROP_MIN_BASELINE = env.int("HOURGLASS_ACTIVITY_DROP_MIN_BASELINE", default=20)
# ... and the drop held for the window ending the day before too (2 days in a row).
# After an alert, the account gets no other one for this many days (one per episode).
HOURGLASS_ACTIVITY_DROP_COOLDOWN_DAYS = env.int("HOURGLASS_ACTIVITY_DROP_COOLDOWN_DAYS", default=14)
# Accounts scored per Celery task when scores are recomputed (fan-out in chunks).
HOURGLASS_HEALTH_SCORE_CHUNK = env.int("HOURGLASS_HEALTH_SCORE_CHUNK", default=1000)
# The 15-minute score run picks accounts whose rollups changed within this many minutes
# (longer than the beat interval, so a late run misses nothing; nightly covers all).
HOURGLASS_HEALTH_RECENT_MINUTES = env.int("HOURGLASS_HEALTH_RECENT_MINUTES", default=30)
# NPS responses from this many days back feed the health score's NPS measure.
HOURGLASS_HEALTH_NPS_DAYS = env.int("HOURGLASS_HEALTH_NPS_DAYS", default=180)
# Event -> score: accounts whose rollups changed are rescored this many seconds later;
# batches arriving meanwhile join the same rescore (debounce; health.rescore).
HOURGLASS_HEALTH_RESCORE_DELAY = env.int("HOURGLASS_HEALTH_RESCORE_DELAY", default=5)
# A rescore request still waiting after this many seconds lost its task (broker outage):
# the next batch for the account sends a new one.
HOURGLASS_HEALTH_RESCORE_STALE_SECONDS = env.int("HOURGLASS_HEALTH_RESCORE_STALE_SECONDS", default=120)
# Silence alert: an account with a healthy baseline that sent no usage for this many
# hours, though it did in the same hours of each of the four weeks before. With the
# daily scan at 00:25, 12 alerts at most 36 h after the last event (health.silence).
HOURGLASS_SILENCE_HOURS = env.int("HOURGLASS_SILENCE_HOURS", default=12)
# Also silent: an account whose last complete day held at most this many events while
# that weekday held more in each of the four weeks before (0: only "no usage at all").
HOURGLASS_SILENCE_FLOOR = env.int("HOURGLASS_SILENCE_FLOOR", default=0)

# --- Playbooks: lifecycle stages and tasks (playbooks app) ----------------------------
# Lifecycle stage offsets (domain.md §3): the promotion month runs from go-live for this
# many days, stabilisation until this many days after go-live, and the renewal window
# opens this many days before the renewal date (it includes the renewal day itself).
HOURGLASS_STAGE_PROMOTION_DAYS = env.int("HOURGLASS_STAGE_PROMOTION_DAYS", default=30)
HOURGLASS_STAGE_STABILISATION_DAYS = env.int("HOURGLASS_STAGE_STABILISATION_DAYS", default=90)
HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS = env.int("HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS", default=90)
# Accounts per Celery task when the daily stage sweep fans out.
HOURGLASS_STAGE_SWEEP_CHUNK = env.int("HOURGLASS_STAGE_SWEEP_CHUNK", default=1000)
# My day lists accounts whose renewal window opens within this many days as "entering".
HOURGLASS_MY_DAY_RENEWAL_LOOKAHEAD_DAYS = env.int("HOURGLASS_MY_DAY_RENEWAL_LOOKAHEAD_DAYS", default=14)
# Expansion opportunities belong to the account's sales owner for this many months after
# the first contract started, to the CSM after: companies hand expansion over somewhere in
# the first 3-12 months; 6 is the middle of that range.
HOURGLASS_EXPANSION_SALES_MONTHS = env.int("HOURGLASS_EXPANSION_SALES_MONTHS", default=6)
if not 3 <= HOURGLASS_EXPANSION_SALES_MONTHS <= 12:
    raise ImproperlyConfigured("HOURGLASS_EXPANSION_SALES_MONTHS must be a whole number from 3 to 12.")

# --- Capacity (capacity app) ----------------------------------------------------------
# Capacity presets keep their amounts in their own currency (the US "$2M rule" in USD,
# the Chinese ones in CNY). They are compared with ARR only in the same currency, or a
# USD preset in a CNY deployment at this many CNY per US$ (also used for the hiring
# thresholds in US$: the US$50K large customer and the US$300-500K book per CSM). Other
# pairs are shown as not comparable.
HOURGLASS_USD_TO_LOCAL = env.float("HOURGLASS_USD_TO_LOCAL", default=7.0)
# The team page keeps its figures this many seconds per viewer (0: always recompute);
# "Refresh" on the page and changes made from the capacity pages recompute at once.
HOURGLASS_TEAM_FIGURES_CACHE_SECONDS = env.int("HOURGLASS_TEAM_FIGURES_CACHE_SECONDS", default=300)
# Initial activation rate (KPI page): an account that went live is activated when, within
# this many days of go-live, some day's active users reached this share of its seats
# (the sum of its purchased products' seats); with no seats known, any usage counts.
HOURGLASS_ACTIVATION_DAYS = env.int("HOURGLASS_ACTIVATION_DAYS", default=30)
HOURGLASS_ACTIVATION_MIN_ACTIVE_SHARE = env.float("HOURGLASS_ACTIVATION_MIN_ACTIVE_SHARE", default=0.5)
