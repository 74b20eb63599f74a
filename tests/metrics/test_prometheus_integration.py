"""A real Prometheus (Debian's package) scrapes a live Hourglass and answers a product
metric through its HTTP API; a scrape without the token is refused (target down, 401)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from core.models import OutboundEmail
from tests.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "prometheus-integration-token"


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
        return json.loads(response.read())


def _wait_for(what: str, probe: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = probe()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"Prometheus never reported {what}")


@pytest.fixture
def prometheus(live_server: Any, tmp_path: Path) -> Any:
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    assert Path(binary).exists(), "Prometheus is missing: run scripts/ensure-prometheus.sh (make test does)"
    target = urllib.parse.urlsplit(live_server.url).netloc
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: hourglass\n"
        f"    authorization: {{type: Bearer, credentials: {TOKEN}}}\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
        "  - job_name: no-token\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_prometheus_scrapes_and_queries_a_product_metric(prometheus: str, settings: Any) -> None:
    settings.HOURGLASS_METRICS_TOKEN = TOKEN
    for n in range(3):
        OutboundEmail.objects.create(dedupe_key=f"notification:{n}", to=["a@example.com"], subject="s", body_text="b")
    query = urllib.parse.urlencode({"query": 'hourglass_outbox_backlog{job="hourglass",kind="notification"}'})

    def backlog() -> Any:
        result = _get(f"{prometheus}/api/v1/query?{query}")["data"]["result"]
        return result[0]["value"][1] if result else None

    assert _wait_for("the outbox backlog", backlog) == "3"

    def refused() -> Any:
        targets = _get(f"{prometheus}/api/v1/targets")["data"]["activeTargets"]
        denied = [t for t in targets if t["labels"]["job"] == "no-token" and t["health"] == "down"]
        return denied[0]["lastError"] if denied else None

    assert "401" in _wait_for("the token-less scrape refused", refused)
