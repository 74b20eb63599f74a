"""/metrics: who may read it, and what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from core.models import OutboundEmail
from health.services import IngestValidationError, events_ingest

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"


def value(body: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", body, re.MULTILINE)
    assert match, f"{series} not in the exposition"
    return float(match.group(1))


def test_with_nothing_configured_nobody_reads_it(client, org, settings) -> None:
    settings.HOURGLASS_METRICS_TOKEN = ""
    settings.HOURGLASS_METRICS_ALLOW = []
    response = client.get(reverse("metrics"))
    assert response.status_code == 403
    assert b"HOURGLASS_METRICS_TOKEN" in response.content
    client.force_login(org.admin)  # a session is not a credential
    assert client.get(reverse("metrics")).status_code == 403


def test_bearer_token(client, settings) -> None:
    settings.HOURGLASS_METRICS_TOKEN = TOKEN
    settings.HOURGLASS_METRICS_ALLOW = []
    missing = client.get(reverse("metrics"))
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get(reverse("metrics"), headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(reverse("metrics"), headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    ok = client.get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("text/plain; version=0.0.4")


def test_address_allow_list(client, settings) -> None:
    settings.HOURGLASS_METRICS_TOKEN = ""
    settings.HOURGLASS_METRICS_ALLOW = ["10.0.0.0/8", "not-an-address"]
    assert client.get(reverse("metrics")).status_code == 403  # the test client is 127.0.0.1
    assert client.get(reverse("metrics"), REMOTE_ADDR="10.1.2.3").status_code == 200
    settings.HOURGLASS_METRICS_ALLOW = ["127.0.0.1"]
    assert client.get(reverse("metrics")).status_code == 200


def test_product_and_request_metrics(client, org, settings) -> None:
    settings.HOURGLASS_METRICS_ALLOW = ["127.0.0.1"]
    OutboundEmail.objects.create(dedupe_key="notification:1", to=["a@example.com"], subject="s", body_text="b")
    OutboundEmail.objects.create(
        dedupe_key="x", to=["a@example.com"], subject="s", render_with="renewals.reminder", body_text="b"
    )
    OutboundEmail.objects.create(dedupe_key="y", to=["a@example.com"], subject="s", body_text="b", status="failed")
    client.force_login(org.csm_a1)
    client.get(reverse("my_day"))
    client.logout()
    body = client.get(reverse("metrics")).content.decode()
    assert value(body, 'hourglass_outbox_backlog{kind="notification"}') == 1
    assert value(body, 'hourglass_outbox_backlog{kind="renewals.reminder"}') == 1
    assert value(body, "hourglass_outbox_failed") == 1
    assert value(body, 'hourglass_outbox_oldest_age_seconds{kind="notification"}') >= 0
    assert value(body, 'hourglass_celery_queue_depth{queue="celery"}') >= 0
    assert value(body, 'hourglass_beat_late{schedule="health-scores-nightly"}') == 0
    assert value(body, "hourglass_rollup_lag_seconds") == 0
    assert value(body, 'hourglass_collector_up{collector="core"}') == 1
    assert value(body, 'hourglass_collector_up{collector="product"}') == 1
    assert value(body, 'hourglass_http_requests_total{method="GET",status="200",view="my_day"}') >= 1
    assert value(body, 'hourglass_db_queries_total{view="my_day"}') >= 1
    assert 'hourglass_http_request_duration_seconds_bucket{le="0.5",method="GET",view="my_day"}' in body
    assert body.count("# TYPE hourglass_collector_up gauge") == 1  # one family, valid exposition


def test_ingest_counts_stored_duplicated_and_rejected(client, org, settings) -> None:
    settings.HOURGLASS_METRICS_ALLOW = ["127.0.0.1"]
    before = client.get(reverse("metrics")).content.decode()
    account = org.accounts["csm_a1"][0]
    event = {"account_id": account.pk, "event_id": "m1", "event_name": "login", "occurred_at": "2026-01-05T10:00:00Z"}
    events_ingest(actor=org.csm_a1, events=[event, {**event, "event_id": "m2"}])
    events_ingest(actor=org.csm_a1, events=[event])
    with pytest.raises(IngestValidationError):
        events_ingest(actor=org.csm_a1, events=[{**event, "occurred_at": "yesterday"}, {"event_name": ""}])
    after = client.get(reverse("metrics")).content.decode()
    for name, delta in (("ingested", 2), ("duplicated", 1), ("rejected", 2)):
        series = f"hourglass_events_{name}_total"
        assert value(after, series) - value(before, series) == delta
    assert (
        value(after, "hourglass_ingest_batch_duration_seconds_count")
        - value(before, "hourglass_ingest_batch_duration_seconds_count")
        == 3
    )


def test_a_failing_collector_costs_its_own_figures_only(client, settings, monkeypatch) -> None:
    settings.HOURGLASS_METRICS_ALLOW = ["127.0.0.1"]

    def broken(**_: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr("workspace.system.collectors.rollup_waiting_since", broken)
    response = client.get(reverse("metrics"))
    assert response.status_code == 200
    body = response.content.decode()
    assert value(body, 'hourglass_collector_up{collector="product"}') == 0
    assert value(body, 'hourglass_collector_up{collector="core"}') == 1
    assert "hourglass_rollup_lag_seconds" not in body


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    """gunicorn workers / Celery children: each process writes its counters to
    PROMETHEUS_MULTIPROC_DIR, and the scrape adds them up."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    setup = "import django; django.setup(); from core.monitoring import metrics; "
    count = setup + "metrics.ingest_observe(stored=5, seconds=0.1)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=Path(__file__).parents[2])
    scrape = (
        "import django; django.setup(); from core.monitoring.metrics import exposition; print(exposition([]).decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True,
        cwd=Path(__file__).parents[2],
    ).stdout  # fmt: skip
    assert value(out, "hourglass_events_ingested_total") == 10
    assert value(out, "hourglass_ingest_batch_duration_seconds_count") == 2


def test_queue_depth_counts_waiting_messages(client, settings) -> None:
    import uuid

    from core.tasks import heartbeat_prune_task

    settings.HOURGLASS_METRICS_ALLOW = ["127.0.0.1"]
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ROUTES = {"nothing.routed_task": {"queue": queue}}  # a routed queue is watched too
    from config.celery_app import app

    try:
        for _ in range(2):
            heartbeat_prune_task.apply_async(queue=queue)  # no worker consumes this queue
        body = client.get(reverse("metrics")).content.decode()
        assert value(body, f'hourglass_celery_queue_depth{{queue="{queue}"}}') == 2
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
