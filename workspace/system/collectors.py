"""The product's Prometheus figures read from several apps at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

from core.monitoring.collectors import SafeCollector, gauge
from health.monitoring import (
    alerts_by_status,
    event_partitions_ahead,
    rollup_waiting_since,
    scores_computed_since,
)
from playbooks.monitoring import tasks_created_by_rule


class ProductCollector(SafeCollector):
    """Rollup lag, scores, alerts, tasks by rule, event partitions."""

    name = "product"

    def metrics(self) -> Iterator[Metric]:
        now = timezone.now()
        waiting_since = rollup_waiting_since(now=now)
        yield gauge(
            "hourglass_rollup_lag_seconds",
            "How long the oldest usage event has waited for its account-day's rollup (0: none waits).",
            [],
            {(): 0.0 if waiting_since is None else max((now - waiting_since).total_seconds(), 0.0)},
        )
        yield gauge(
            "hourglass_health_scores_computed_24h",
            "Health scores computed in the last 24 hours.",
            [],
            {(): scores_computed_since(now - timedelta(hours=24))},
        )
        by_status = alerts_by_status()
        yield gauge("hourglass_activity_alerts", "Activity-drop alerts, by status.", ["status"], {
            (status,): count for status, count in by_status.items()
        })  # fmt: skip
        raised = CounterMetricFamily("hourglass_activity_alerts_raised", "Activity-drop alerts raised.")
        raised.add_metric([], sum(by_status.values()))
        yield raised
        tasks = CounterMetricFamily(
            "hourglass_tasks_created", "Tasks created, by trigger and playbook.", labels=["trigger", "playbook"]
        )
        for (trigger, playbook), count in sorted(tasks_created_by_rule().items()):
            tasks.add_metric([trigger, playbook], count)
        yield tasks
        ahead = event_partitions_ahead()
        if ahead is not None:
            yield gauge(
                "hourglass_event_partitions_ahead", "Months ahead with a usage-event partition.", [], {(): ahead}
            )
