"""Late jobs and an old outbox backlog notify every admin once per incident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import MonitoringIncident, Notification, OutboundEmail
from core.monitoring.incidents import incident_open
from tests.metrics.conftest import succeeded
from workspace.system.alerts import monitoring_scan

pytestmark = pytest.mark.django_db

NIGHTLY = "health-scores-nightly"


def _all_fresh(now, *, but: str | None = None) -> None:
    from config.celery_app import app

    for name in app.conf.beat_schedule:
        if name != but:
            succeeded(name, at=now)


def _late_notifications(org) -> list[Notification]:
    return list(Notification.objects.filter(recipient=org.admin, kind="monitoring.job_late"))


def test_a_late_job_notifies_once_then_again_after_recovery(org, frozen) -> None:
    _all_fresh(frozen.now)
    frozen.move(hours=20)
    _all_fresh(frozen.now, but=NIGHTLY)  # every other job keeps running; the nightly one stops
    assert monitoring_scan().opened == []

    frozen.move(hours=6)  # 26 h since the nightly recompute last ran
    _all_fresh(frozen.now, but=NIGHTLY)
    first = monitoring_scan()
    assert [incident.subject for incident in first.opened] == [NIGHTLY]
    second = monitoring_scan()
    assert second.opened == []
    notes = _late_notifications(org)
    assert len(notes) == 1
    assert NIGHTLY in notes[0].title
    assert notes[0].url.endswith("/system/")
    # Only admins are told, each with an email through the outbox.
    assert not Notification.objects.filter(recipient__in=[org.manager_a, org.csm_a1]).exists()
    assert OutboundEmail.objects.filter(dedupe_key=f"notification:{notes[0].pk}", to=[org.admin.email]).count() == 1

    succeeded(NIGHTLY, at=frozen.now)  # recovered: the incident closes
    OutboundEmail.objects.update(status="sent", sent_at=frozen.now)  # the emails went out
    assert monitoring_scan().closed == 1
    assert MonitoringIncident.objects.get(subject=NIGHTLY).closed_at is not None

    frozen.move(hours=26)
    _all_fresh(frozen.now, but=NIGHTLY)
    assert [incident.subject for incident in monitoring_scan().opened] == [NIGHTLY]
    assert len(_late_notifications(org)) == 2
    assert MonitoringIncident.objects.filter(subject=NIGHTLY).count() == 2


def test_outbox_backlog_older_than_the_threshold_notifies_once(org, frozen, settings) -> None:
    settings.HOURGLASS_OUTBOX_ALERT_MINUTES = 30
    _all_fresh(frozen.now)
    message = OutboundEmail.objects.create(dedupe_key="renewal:1:90", to=["x@example.com"], subject="s", body_text="b")
    OutboundEmail.objects.filter(pk=message.pk).update(created_at=frozen.now - timedelta(minutes=20))
    assert monitoring_scan().opened == []
    frozen.move(minutes=15)
    _all_fresh(frozen.now)
    assert [incident.kind for incident in monitoring_scan().opened] == ["outbox_backlog"]
    assert monitoring_scan().opened == []
    notes = Notification.objects.filter(recipient=org.admin, kind="monitoring.outbox_backlog")
    assert notes.count() == 1
    assert "35" in notes.get().body
    OutboundEmail.objects.filter(pk=message.pk).update(status="sent", sent_at=timezone.now())
    assert monitoring_scan().closed == 1


def test_two_overlapping_scans_open_one_incident(db) -> None:
    assert incident_open(kind="job_late", subject="x") is not None
    assert incident_open(kind="job_late", subject="x") is None
    assert MonitoringIncident.objects.filter(subject="x", closed_at=None).count() == 1


def test_notification_reads_in_the_admins_language(org, frozen) -> None:
    org.admin.cs_profile.language = "zh-hans"
    org.admin.cs_profile.save()
    succeeded(NIGHTLY, at=frozen.now)
    frozen.move(hours=26)
    monitoring_scan()
    note = Notification.objects.get(recipient=org.admin, kind="monitoring.job_late", title__contains=NIGHTLY)
    assert "定时任务" in note.title
