"""The rendered nginx site in front of a real gunicorn running Hourglass in production mode.

nginx (the recipe's site, on free ports, a throw-away certificate) proxies to gunicorn
(``DEBUG=false``, ``HOURGLASS_TRUST_PROXY_HEADERS=true``, SQLite): plain HTTP redirects
to HTTPS except ``/healthz``; over HTTPS the app serves pages without redirecting again
(it trusts nginx's X-Forwarded-Proto) and answers with nginx's request id; static files
come from disk; a 21 MB body reaches the app and a 30 MB one is stopped by nginx.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

from .support import REPO, manage
from .test_deploy_templates import render, tool

HOST = "hourglass.test"


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    base = tmp_path_factory.mktemp("nginx-live")
    var, logs = base / "var", base / "logs"
    logs.mkdir()
    url = f"sqlite:///{var / 'hourglass.sqlite3'}"
    app_env = {
        "DEBUG": "false",
        "SECRET_KEY": "ops-test-only-" + "x" * 50,
        "ALLOWED_HOSTS": HOST,
        "HOURGLASS_TRUST_PROXY_HEADERS": "true",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "AXES_ENABLED": "false",
    }
    manage(url, var, "migrate", "--noinput", "-v0", **app_env)
    static = var / "staticfiles"
    static.mkdir(parents=True, exist_ok=True)
    (static / "ops-probe.css").write_text("body { color: #123456; }\n" * 100)

    ports = {"web": free_port(), "http": free_port(), "https": free_port()}
    certificate, key = base / "cert.pem", base / "key.pem"
    subprocess.run(
        [tool("openssl", "openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    render.render_all(base / "out", {
        "server_name": HOST, "web_bind": f"127.0.0.1:{ports['web']}", "var_dir": str(var),
        "http_port": str(ports["http"]), "https_port": str(ports["https"]), "nginx_log_dir": str(logs),
        "tls_certificate": str(certificate), "tls_certificate_key": str(key),
    })  # fmt: skip
    conf = base / "nginx.conf"
    # The test's own main configuration; `user root` lets the workers read pytest's
    # private temporary folders (a real host runs them as www-data).
    conf.write_text(
        f"user root;\npid {base}/nginx.pid;\nerror_log {logs}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {logs}/access.log;\n"
        f"  include {base}/out/nginx/hourglass.conf;\n}}\n"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
        **app_env, "DATABASE_URL": url, "HOURGLASS_VAR_DIR": str(var), "CELERY_BROKER_URL": "filesystem://",
    }  # fmt: skip
    web_log = base / "gunicorn.log"
    with web_log.open("wb") as web_out:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{ports['web']}",
             "--workers", "1", "--forwarded-allow-ips", "127.0.0.1"],
            cwd=REPO, env=environment, stdout=web_out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    nginx = subprocess.Popen(
        [tool("nginx", "nginx"), "-c", str(conf), "-p", str(base), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(ports["web"], web, web_log)
        wait_for_port(ports["https"], nginx, logs / "error.log")
        yield ports
    finally:
        stop(nginx)
        stop(web)


def request(
    port: int, path: str, *, tls: bool = True, method: str = "GET", body: bytes | None = None
) -> http.client.HTTPResponse:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the throw-away certificate
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=context
        )
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers={"Host": HOST, "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    return response


def test_plain_http_redirects_to_https_except_healthz(site: dict[str, int]) -> None:
    redirected = request(site["http"], "/login/", tls=False)
    assert redirected.status == 301
    assert redirected.getheader("Location", "").startswith(f"https://{HOST}")
    assert request(site["http"], "/healthz", tls=False).status == 200


def test_https_pages_are_served_by_the_app_which_trusts_the_proxy(site: dict[str, int]) -> None:
    login = request(site["https"], "/login/")
    # Without the trusted X-Forwarded-Proto, production mode would redirect to https again.
    assert login.status == 200
    assert "max-age" in (login.getheader("Strict-Transport-Security") or "")
    assert re.fullmatch(r"[0-9a-f]{32}", login.getheader("X-Request-ID") or ""), "nginx's $request_id"
    assert "secure" in (login.getheader("Set-Cookie") or "").lower()


def test_static_files_come_from_disk(site: dict[str, int]) -> None:
    static = request(site["https"], "/static/ops-probe.css")
    assert static.status == 200
    assert static.getheader("Cache-Control") == "max-age=2592000, public"  # expires 30d
    assert "text/css" in (static.getheader("Content-Type") or "")


def test_upload_size_limit(site: dict[str, int]) -> None:
    under = request(site["https"], "/api/v1/events/bulk", method="POST", body=b"x" * (21 * 1024 * 1024))
    assert under.status in (401, 403), "the app answers (no credentials), not nginx"
    over = request(site["https"], "/api/v1/events/bulk", method="POST", body=b"x" * (30 * 1024 * 1024))
    assert over.status == 413
