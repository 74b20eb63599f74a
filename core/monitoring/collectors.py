"""Prometheus collectors that read core's tables at scrape time (multi-process safe:
every process and host reads the same database)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from .jobs import job_statuses
from .queues import outbox_summary, queue_depths, task_failures_since, worker_heartbeats

logger = logging.getLogger(__name__)


class SafeCollector(Collector):
    """A collector whose failure (a locked table, a lost connection) costs its own
    figures only: ``hourglass_collector_up{collector}`` (``UpCollector``) says whether
    it answered."""

    name = "collector"
    ok: bool | None = None

    def metrics(self) -> Iterator[Metric]:
        raise NotImplementedError

    def collect(self) -> Iterator[Metric]:
        try:
            figures = list(self.metrics())
        except Exception:
            logger.exception("metrics collector %s failed", self.name)
            self.ok = False
            return
        self.ok = True
        yield from figures


class UpCollector(Collector):
    """One family for all collectors' status; registered after them (registries collect
    in order), so it reads how each one just did."""

    def __init__(self, collectors: list[SafeCollector]) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("hourglass_collector_up", "1 when the collector read its figures.", labels=["collector"])
        for collector in self.collectors:
            up.add_metric([collector.name], 1 if collector.ok else 0)
        yield up


def gauge(name: str, documentation: str, labels: list[str], rows: dict[tuple[str, ...], float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in rows.items():
        family.add_metric(list(values), value)
    return family


class CoreCollector(SafeCollector):
    """Outbox, Celery queues and workers, beat schedules, task failures."""

    name = "core"

    def __init__(self, queue_reader: Callable[[], dict[str, int | None]] = queue_depths) -> None:
        self.queue_reader = queue_reader

    def metrics(self) -> Iterator[Metric]:
        now = timezone.now()
        outbox = outbox_summary()
        yield gauge(
            "hourglass_outbox_backlog",
            "Emails queued or being sent, by kind.",
            ["kind"],
            {(kind.kind,): kind.pending for kind in outbox.by_kind},
        )
        yield gauge(
            "hourglass_outbox_oldest_age_seconds",
            "Age of the oldest email waiting to be sent, by kind.",
            ["kind"],
            {(kind.kind,): (now - kind.oldest_at).total_seconds() for kind in outbox.by_kind if kind.oldest_at},
        )
        yield gauge("hourglass_outbox_failed", "Emails that failed every delivery attempt.", [], {(): outbox.failed})
        depths = self.queue_reader()
        yield gauge(
            "hourglass_celery_queue_depth",
            "Messages waiting in each Celery queue.",
            ["queue"],
            {(name,): depth for name, depth in depths.items() if depth is not None},
        )
        yield gauge(
            "hourglass_worker_last_seen_timestamp_seconds",
            "Last heartbeat of each Celery worker (Unix time).",
            ["worker"],
            {(beat.hostname,): beat.last_seen.timestamp() for beat in worker_heartbeats()},
        )
        yield gauge(
            "hourglass_task_failures_24h",
            "Celery tasks that failed in the last 24 hours.",
            [],
            {(): task_failures_since(now - timedelta(hours=24))},
        )
        yield from self.job_metrics(now)

    def job_metrics(self, now: object) -> Iterator[Metric]:
        statuses = job_statuses()
        yield gauge(
            "hourglass_beat_last_success_timestamp_seconds",
            "Last successful run of each beat schedule (Unix time).",
            ["schedule"],
            {
                (status.schedule,): status.run.last_success_at.timestamp()
                for status in statuses
                if status.run is not None and status.run.last_success_at is not None
            },
        )
        yield gauge(
            "hourglass_beat_last_duration_seconds",
            "Duration of the last run of each beat schedule.",
            ["schedule"],
            {
                (status.schedule,): status.run.last_duration
                for status in statuses
                if status.run is not None and status.run.last_duration is not None
            },
        )
        yield gauge(
            "hourglass_beat_late",
            "1 when a beat schedule has not succeeded within its period and grace.",
            ["schedule"],
            {(status.schedule,): int(status.late) for status in statuses},
        )
