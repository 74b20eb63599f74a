"""Prometheus metrics: what each process counts, who may scrape, and the exposition.

Two kinds of figures:

* Per-process counters and histograms (requests by view, their latency and database
  queries, usage events ingested / duplicated / rejected, ingest batch latency). With
  ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn with several workers, Celery's prefork
  pool) every process writes them to files in that directory and ``/metrics`` adds
  them up (prometheus-client's multiprocess mode); without it they are the serving
  process's own (``runserver``, one worker).
* Product gauges read from the database at scrape time by collectors (outbox, queues,
  beat schedules, scores, alerts, tasks): the same whichever process or host answers.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from .collectors import SafeCollector

logger = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "hourglass_http_requests", "HTTP requests answered, by view, method and status.", ["view", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "hourglass_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view", "method"],
    buckets=_LATENCY_BUCKETS,
)
DB_QUERIES = Counter("hourglass_db_queries", "Database queries run while answering requests, by view.", ["view"])
EVENTS_INGESTED = Counter("hourglass_events_ingested", "Usage events stored by the ingest.")
EVENTS_DUPLICATED = Counter("hourglass_events_duplicated", "Usage events skipped as already stored.")
EVENTS_REJECTED = Counter("hourglass_events_rejected", "Usage events refused by validation.")
INGEST_LATENCY = Histogram(
    "hourglass_ingest_batch_duration_seconds", "Time to validate and store one ingest batch.", buckets=_LATENCY_BUCKETS
)


def ingest_observe(*, stored: int = 0, duplicates: int = 0, rejected: int = 0, seconds: float | None = None) -> None:
    """Count one ingest batch (called by the health app's ingest)."""
    EVENTS_INGESTED.inc(stored)
    EVENTS_DUPLICATED.inc(duplicates)
    EVENTS_REJECTED.inc(rejected)
    if seconds is not None:
        INGEST_LATENCY.observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(collectors: Iterable[SafeCollector]) -> bytes:
    """The scrape: the processes' counters, then the database gauges of ``collectors``."""
    if multiprocess_dir():
        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry)
        counters = generate_latest(process_registry)
    else:
        counters = generate_latest(REGISTRY)
    from .collectors import UpCollector

    product = CollectorRegistry(auto_describe=False)
    safe = list(collectors)
    for collector in safe:
        product.register(collector)
    product.register(UpCollector(safe))
    return counters + generate_latest(product)


def metrics_response(collectors: Iterable[SafeCollector]) -> HttpResponse:
    # The 0.0.4 text format: what every Prometheus 2.x (Debian 12 ships 2.42) reads.
    return HttpResponse(exposition(collectors), content_type=CONTENT_TYPE_PLAIN_0_0_4)


# --- Who may scrape -------------------------------------------------------------------


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in getattr(settings, "HOURGLASS_METRICS_ALLOW", []):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            logger.warning("HOURGLASS_METRICS_ALLOW: %r is not an address or network; ignored", item)
    return networks


def metrics_denial(request: HttpRequest) -> HttpResponse | None:
    """None when the request may read /metrics, else the 401/403 to answer.

    Allowed: a bearer token equal to ``HOURGLASS_METRICS_TOKEN``, or a client address
    (``REMOTE_ADDR``) in ``HOURGLASS_METRICS_ALLOW``. With neither configured nobody may:
    behind a proxy on the same host every request comes from 127.0.0.1, so "localhost
    only" would publish the metrics to everyone.
    """
    token = getattr(settings, "HOURGLASS_METRICS_TOKEN", "")
    networks = _allowed_networks()
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), token.encode()):
            return None
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            address = None
        if address is not None and any(address in network for network in networks):
            return None
    if not token and not networks:
        return HttpResponse(
            "Metrics are off: set HOURGLASS_METRICS_TOKEN or HOURGLASS_METRICS_ALLOW.\n",
            status=403,
            content_type="text/plain",
        )
    if token:
        response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse("This address may not read the metrics.\n", status=403, content_type="text/plain")


# --- Request metrics ------------------------------------------------------------------


class MetricsMiddleware:
    """Counts every request by view name (unmatched URLs as ``none``, so that scanners
    cannot blow up the label set), its latency and the database queries it ran."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = [0]

        def count(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
            queries[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match is not None else "none"
        method = request.method if request.method in _METHODS else "other"
        try:
            HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
            HTTP_LATENCY.labels(view, method).observe(elapsed)
            DB_QUERIES.labels(view).inc(queries[0])
        except Exception:  # a full metrics directory must not fail the request
            logger.exception("could not count the request")
        return response


_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
