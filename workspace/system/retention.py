"""Data retention (beat, daily): raw usage events, the timeline's system entries and the
outbox's sent emails older than their configured number of days are deleted, in
batches (event partitions dropped whole on PostgreSQL). 0 days keeps a kind for ever.
Idempotent: a second run on the same day finds nothing more to delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.retention import timeline_system_expired, timeline_system_prune
from core.models import JobRun
from core.monitoring.retention import sent_emails_expired, sent_emails_prune
from health.retention import events_expired, events_prune
from integrations.digests.sending import digest_claims_prune
from integrations.webhooks.retention import deliveries_expired, deliveries_prune

RETENTION_SCHEDULE = "workspace-data-retention"


@dataclass(frozen=True)
class RetentionRule:
    key: str
    label: str | Promise
    setting: str
    expired: Callable[..., QuerySet[Any]]

    @property
    def days(self) -> int:
        return int(getattr(settings, self.setting, 0) or 0)

    def cutoff(self, now: datetime) -> datetime | None:
        return now - timedelta(days=self.days) if self.days > 0 else None


RULES = [
    RetentionRule("events", _("Raw usage events (rollups are kept)"), "HOURGLASS_EVENT_RETENTION_DAYS", events_expired),
    RetentionRule(
        "timeline",
        _("Timeline system entries (touchpoints are kept)"),
        "HOURGLASS_TIMELINE_SYSTEM_RETENTION_DAYS",
        timeline_system_expired,
    ),
    RetentionRule(
        "deliveries", _("Delivery log (sent emails)"), "HOURGLASS_DELIVERY_LOG_RETENTION_DAYS", sent_emails_expired
    ),
    RetentionRule(
        "webhook_deliveries",
        _("Delivery log (webhooks and chat)"),
        "HOURGLASS_DELIVERY_LOG_RETENTION_DAYS",
        deliveries_expired,
    ),
]
# Digest claims (one per person, kind and local day) matter only around their day.
DIGEST_CLAIM_DAYS = 30


def data_retention_run(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what is past each rule's cutoff; returns the rows deleted per rule (and
    the event partitions dropped), which the status page shows from the job's record."""
    now = now or timezone.now()
    batch = int(getattr(settings, "HOURGLASS_RETENTION_BATCH", 5000))
    result: dict[str, int] = {}
    by_key = {rule.key: rule for rule in RULES}
    cutoff = by_key["events"].cutoff(now)
    if cutoff is not None:
        pruned = events_prune(before=cutoff, batch_size=batch)
        result["events"] = pruned.deleted
        result["event_partitions_dropped"] = len(pruned.partitions_dropped)
    cutoff = by_key["timeline"].cutoff(now)
    if cutoff is not None:
        result["timeline"] = timeline_system_prune(before=cutoff, batch_size=batch)
    cutoff = by_key["deliveries"].cutoff(now)
    if cutoff is not None:
        result["deliveries"] = sent_emails_prune(before=cutoff, batch_size=batch)
    cutoff = by_key["webhook_deliveries"].cutoff(now)
    if cutoff is not None:
        result["webhook_deliveries"] = deliveries_prune(before=cutoff, batch_size=batch)
    result["digest_claims"] = digest_claims_prune(before=timezone.localdate(now) - timedelta(days=DIGEST_CLAIM_DAYS))
    return result


@dataclass(frozen=True)
class RetentionFigure:
    label: str | Promise
    setting: str
    days: int
    cutoff: datetime | None
    waiting: int | None  # rows past the cutoff now (deleted by the next run)
    last_deleted: int | None


def retention_figures(*, now: datetime | None = None) -> tuple[list[RetentionFigure], JobRun | None]:
    now = now or timezone.now()
    run = JobRun.objects.filter(schedule=RETENTION_SCHEDULE).first()
    last = run.last_result if run is not None else {}
    figures = []
    for rule in RULES:
        cutoff = rule.cutoff(now)
        figures.append(
            RetentionFigure(
                label=rule.label,
                setting=rule.setting,
                days=rule.days,
                cutoff=cutoff,
                waiting=rule.expired(before=cutoff).count() if cutoff is not None else None,
                last_deleted=last.get(rule.key),
            )
        )
    audit_days = getattr(settings, "HOURGLASS_AUDIT_RETENTION_DAYS", None)
    if audit_days is not None:
        figures.append(
            RetentionFigure(
                label=_("Change history (audit rows)"),
                setting="HOURGLASS_AUDIT_RETENTION_DAYS",
                days=int(audit_days or 0),
                cutoff=now - timedelta(days=int(audit_days)) if audit_days else None,
                waiting=None,
                last_deleted=None,
            )
        )
    return figures, run
