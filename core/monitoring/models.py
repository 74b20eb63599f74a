"""What monitoring remembers: the last run of each beat schedule, and open incidents.

Imported by ``core.models`` so that Django registers them with the core app.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobOutcome(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class JobRun(models.Model):
    """One row per beat schedule: its latest run, and its latest success.

    Written by the Celery ``task_prerun``/``task_postrun``/``task_failure`` handlers of
    ``core.monitoring.jobs`` for tasks that beat sent (they carry the schedule's name in
    a header), so a manual or chained call of the same task does not count as the
    schedule having run.
    """

    schedule = models.CharField(_("schedule"), max_length=100, unique=True)
    task_name = models.CharField(_("task"), max_length=255)
    # When monitoring first knew the schedule: lateness of a job that never ran counts from here.
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_duration = models.FloatField(_("last duration (s)"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=16, choices=JobOutcome.choices, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_task_id = models.CharField(max_length=255, blank=True)
    # A small JSON summary a job may return (e.g. the rows the retention job deleted).
    last_result = models.JSONField(_("last result"), default=dict, blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    failures = models.PositiveIntegerField(_("failures"), default=0)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["schedule"]

    def __str__(self) -> str:
        return self.schedule


class IncidentKind(models.TextChoices):
    JOB_LATE = "job_late", _("Scheduled job late")
    OUTBOX_BACKLOG = "outbox_backlog", _("Outbox backlog")


class MonitoringIncident(models.Model):
    """A condition admins were told about, open until it clears.

    At most one open incident per (kind, subject): that constraint is what makes a
    repeated scan notify once per incident, also when two scans overlap.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=IncidentKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("monitoring incident")
        verbose_name_plural = _("monitoring incidents")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=Q(closed_at=None), name="monitoring_incident_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}"
