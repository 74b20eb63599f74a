"""Everything the system status page shows, read in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from core.models import MonitoringIncident, OutboundEmail, TaskFailure, WorkerHeartbeat
from core.monitoring.database import DatabaseSize, database_size
from core.monitoring.incidents import incidents_open
from core.monitoring.jobs import JobStatus, job_statuses
from core.monitoring.queues import (
    OutboxSummary,
    failed_emails,
    outbox_summary,
    queue_depths,
    recent_task_failures,
    worker_heartbeats,
)
from health.monitoring import event_partitions_ahead, rollup_waiting_since
from health.partitions import event_partitions, partitioning_supported

from .retention import RetentionFigure, retention_figures


@dataclass(frozen=True)
class SystemStatus:
    now: datetime
    jobs: list[JobStatus]
    heartbeats: list[WorkerHeartbeat]
    queues: dict[str, int | None]
    outbox: OutboxSummary
    failed_emails: list[OutboundEmail]
    task_failures: list[TaskFailure]
    database: DatabaseSize
    partitioned: bool
    partitions: list[str]
    partitions_ahead: int | None
    rollup_waiting_since: datetime | None
    retention: list[RetentionFigure]
    incidents: list[MonitoringIncident]
    extra: dict[str, Any]

    @property
    def late_jobs(self) -> list[JobStatus]:
        return [job for job in self.jobs if job.late]


def system_status(*, now: datetime | None = None) -> SystemStatus:
    now = now or timezone.now()
    retention, retention_run = retention_figures(now=now)
    return SystemStatus(
        now=now,
        jobs=job_statuses(now=now),
        heartbeats=worker_heartbeats(),
        queues=queue_depths(),
        outbox=outbox_summary(),
        failed_emails=failed_emails(),
        task_failures=recent_task_failures(),
        database=database_size(),
        partitioned=partitioning_supported(),
        partitions=event_partitions(),
        partitions_ahead=event_partitions_ahead(),
        rollup_waiting_since=rollup_waiting_since(now=now),
        retention=retention,
        incidents=incidents_open(),
        extra={"retention_run": retention_run},
    )
