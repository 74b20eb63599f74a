"""The monitoring scan (beat, every 5 minutes): late jobs and an old outbox backlog open
an incident and notify the admins — in the app and by email — once per incident; an
incident closes when its condition clears, so the next lateness notifies again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from core.messages import Message, message, word
from core.models import IncidentKind, MonitoringIncident
from core.monitoring.incidents import incident_open, incidents_close
from core.monitoring.jobs import job_runs_ensure, job_statuses
from core.monitoring.queues import outbox_summary
from core.notifications import NotificationDraft, notifications_send, user_language
from org.models import Role

OUTBOX_SUBJECT = "outbox"


@dataclass
class ScanResult:
    opened: list[MonitoringIncident] = field(default_factory=list)
    closed: int = 0


def outbox_alert_age() -> timedelta:
    return timedelta(minutes=getattr(settings, "HOURGLASS_OUTBOX_ALERT_MINUTES", 30))


def admins() -> list[object]:
    user_model = get_user_model()
    return list(
        user_model.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(cs_profile__role=Role.ADMIN))
        .select_related("cs_profile")
        .distinct()
    )


def monitoring_scan(*, now: datetime | None = None) -> ScanResult:
    now = now or timezone.now()
    result = ScanResult()
    job_runs_ensure()
    late = {status.schedule: status for status in job_statuses(now=now) if status.late}
    result.closed += incidents_close(kind=IncidentKind.JOB_LATE, keep=late)
    for schedule, status in late.items():
        last = status.run.last_success_at if status.run else None
        incident = incident_open(
            kind=IncidentKind.JOB_LATE,
            subject=schedule,
            detail={"task": status.task_name, "last_success": last.isoformat() if last else None},
        )
        if incident is not None:
            result.opened.append(incident)
    oldest = outbox_summary().oldest_at
    if oldest is not None and now - oldest > outbox_alert_age():
        incident = incident_open(
            kind=IncidentKind.OUTBOX_BACKLOG,
            subject=OUTBOX_SUBJECT,
            detail={"oldest": oldest.isoformat(), "minutes": int((now - oldest).total_seconds() // 60)},
        )
        if incident is not None:
            result.opened.append(incident)
    else:
        result.closed += incidents_close(kind=IncidentKind.OUTBOX_BACKLOG)
    if result.opened:
        incidents_notify(result.opened)
    return result


def _messages(incident: MonitoringIncident) -> tuple[Message, Message]:
    if incident.kind == IncidentKind.JOB_LATE:
        last = incident.detail.get("last_success") or word(gettext_noop("never"))
        return (
            message(gettext_noop("Scheduled job late: %(job)s"), job=incident.subject),
            message(
                gettext_noop("The job %(job)s has not succeeded within its schedule. Last success: %(last)s."),
                job=incident.subject,
                last=last,
            ),
        )
    return (
        message(gettext_noop("Email outbox backlog")),
        message(
            gettext_noop("The oldest email in the outbox has waited %(minutes)s minutes."),
            minutes=incident.detail.get("minutes"),
        ),
    )


def incidents_notify(incidents: list[MonitoringIncident]) -> None:
    """One notification (and its email) per admin and incident: keyed by both."""
    url = settings.HOURGLASS_BASE_URL.rstrip("/") + reverse("system:status")
    drafts = []
    for admin in admins():
        with translation.override(user_language(admin)):
            for incident in incidents:
                title, body = _messages(incident)
                drafts.append(
                    NotificationDraft(
                        recipient=admin,
                        kind=f"monitoring.{incident.kind}",
                        title=title.render(),
                        message=title,
                        body=body.render(),
                        body_messages=(body,),
                        url=url,
                        dedupe_key=f"monitoring:{incident.pk}:{admin.pk}",  # type: ignore[attr-defined]
                        email=True,
                    )
                )
    notifications_send(drafts)
