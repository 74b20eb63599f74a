"""The Celery application. Every beat schedule is declared here, in one place."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hourglass")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids in task logs, and failed tasks kept for the admin (core.observability).
from celery import signals  # noqa: E402

from core import audit_source, observability  # noqa: E402

signals.before_task_publish.connect(observability.on_before_task_publish, weak=False)
signals.task_prerun.connect(observability.on_task_prerun, weak=False)
signals.task_postrun.connect(observability.on_task_postrun, weak=False)
signals.task_failure.connect(observability.on_task_failure, weak=False)
# The last run, duration and outcome of each beat schedule (core.monitoring.jobs).
from core.monitoring import jobs as monitoring_jobs  # noqa: E402

signals.task_prerun.connect(monitoring_jobs.on_task_prerun, weak=False)
signals.task_postrun.connect(monitoring_jobs.on_task_postrun, weak=False)
# Monitoring and retention tasks that read several apps (workspace/system/tasks.py).
app.autodiscover_tasks(["workspace.system", "workspace.segments"])
# History rows written by a task record it as their source (core.audit_source).
signals.task_prerun.connect(audit_source.on_task_prerun, weak=False)
signals.task_postrun.connect(audit_source.on_task_postrun, weak=False)

app.conf.beat_schedule = {
    # Lets /healthz and the admin tell whether workers and beat are alive.
    "core-heartbeat": {
        "task": "core.heartbeat_task",
        "schedule": 60.0,
    },
    # Retries failed emails with backoff and rescues messages of a dead worker (docs/delivery.md).
    "core-email-flush": {
        "task": "core.email_flush_task",
        "schedule": float(settings.HOURGLASS_OUTBOX_FLUSH_SECONDS),
    },
    "core-heartbeat-prune": {
        "task": "core.heartbeat_prune_task",
        "schedule": crontab(hour=3, minute=17),
    },
    # Audit trail retention: history and login rows past HOURGLASS_AUDIT_RETENTION_DAYS.
    "core-audit-purge": {"task": "core.audit_purge_task", "schedule": crontab(hour=3, minute=40)},
    "health-event-partitions": {"task": "health.ensure_event_partitions_task", "schedule": crontab(hour=2, minute=10)},
    # Silence before the drop scan: an account whose usage stopped gets the alert that says so.
    "health-activity-silence-scan": {
        "task": "health.activity_silence_scan_task",
        "schedule": crontab(hour=0, minute=25),
    },
    "health-activity-drop-scan": {"task": "health.activity_drop_scan_task", "schedule": crontab(hour=0, minute=30)},
    "health-scores-recent": {"task": "health.score_recent_accounts_task", "schedule": 15 * 60.0},
    "health-scores-nightly": {"task": "health.score_all_accounts_task", "schedule": crontab(hour=23, minute=45)},
    # Renewals whose date passed unclosed become lapsed, before the stage sweep and the day's work.
    "renewals-lapsed-sweep": {"task": "renewals.lapsed_sweep_task", "schedule": crontab(hour=0, minute=40)},
    "renewals-reminder-sweep": {"task": "renewals.reminder_sweep_task", "schedule": crontab(hour=8, minute=0)},
    # The ARR ledger from contracts and amendments: the new month, and writes around the services.
    "renewals-arr-ledger-rebuild": {"task": "renewals.arr_ledger_rebuild_task", "schedule": crontab(hour=2, minute=40)},
    # The KPI page's facts and cells from their inputs, after the lapsed sweep and the ledger.
    "renewals-kpi-facts-rebuild": {"task": "renewals.kpi_facts_rebuild_task", "schedule": crontab(hour=3, minute=5)},
    # Webhook/chat deliveries: retries that came due and rows a dead worker left (docs/webhooks.md).
    "webhooks-deliver-sweep": {"task": "webhooks.deliver_due_task", "schedule": 60.0},
    # Lifecycle stages move with the local date: just after midnight, before people start work.
    "playbooks-stage-sweep": {"task": "playbooks.stage_sweep_task", "schedule": crontab(hour=0, minute=50)},
    # Scheduled rules (daily / weekly) after the night's scores and stages, in the company's zone.
    "playbooks-rules-sweep": {"task": "playbooks.rules_sweep_task", "schedule": crontab(hour=1, minute=15)},
    # Adoption campaigns: follow-up tasks for accounts not using a rolled-out feature (idempotent).
    "knowledge-campaign-stall-sweep": {
        "task": "knowledge.campaign_stall_sweep_task",
        "schedule": crontab(hour=1, minute=5),
    },
    # Late jobs and an old outbox backlog notify the admins, once per incident.
    "workspace-monitoring-scan": {"task": "workspace.monitoring_scan_task", "schedule": 5 * 60.0},
    # Raw events, timeline system entries and sent emails past their retention (batched).
    "workspace-data-retention": {"task": "workspace.data_retention_task", "schedule": crontab(hour=4, minute=10)},
    # Saved segments' members follow their filters (days to renewal, last touch, health move).
    "workspace-segments-refresh": {"task": "workspace.segments_refresh_task", "schedule": 15 * 60.0},
    # Surveys: due and deferred (quiet hours) emails every 5 minutes; CSAT after new touchpoints;
    # the automatic NPS rounds once a day (docs/outreach.md).
    "outreach-survey-dispatch": {"task": "outreach.survey_dispatch_task", "schedule": 5 * 60.0},
    "outreach-csat-touchpoint-sweep": {"task": "outreach.csat_touchpoint_sweep_task", "schedule": 15 * 60.0},
    "outreach-nps-auto-sweep": {"task": "outreach.nps_auto_sweep_task", "schedule": crontab(hour=9, minute=30)},
    # Tech-touch programs: new audience contacts enrolled hourly; due steps every 5 minutes.
    "outreach-program-enrol": {"task": "outreach.program_enrol_task", "schedule": crontab(minute=7)},
    "outreach-program-steps": {"task": "outreach.program_steps_task", "schedule": 5 * 60.0},
    # Digests: people whose local digest time has come (quarter hours) and no claim for today.
    "digests-digest-sweep": {"task": "digests.digest_sweep_task", "schedule": crontab(minute="*/15")},
}

# Beat marks each message with its schedule, so that only scheduled runs count as runs.
monitoring_jobs.schedules_mark(app.conf.beat_schedule)
