"""The deployment recipe renders and its configurations are accepted by the real tools.

nginx (``nginx -t``), systemd (``systemd-analyze verify``) and logrotate (``logrotate
--debug``) check what deploy/render.py writes. A missing tool fails the test with the
command that installs it (``make test`` runs scripts/ensure-nginx.sh first).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support import REPO

sys.path.insert(0, str(REPO / "deploy"))
import render

UNITS = (
    "hourglass-web.service",
    "hourglass-worker@1.service",  # an instance of the template unit
    "hourglass-beat.service",
    "hourglass-inbox.service",
    "hourglass-backup.service",
    "hourglass-backup.timer",
    "hourglass.target",
)


def tool(name: str, package: str) -> str:
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise AssertionError(f"{name} is missing: run scripts/ensure-nginx.sh (or apt-get install {package})")


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [tool("openssl", "openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=hourglass.test", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    (tmp_path / "logs").mkdir()
    render.render_all(
        tmp_path / "out",
        {
            "root": str(REPO),  # the units' ExecStart must exist: this checkout's virtualenv
            "server_name": "hourglass.test",
            "tls_certificate": str(certificate),
            "tls_certificate_key": str(key),
            "nginx_log_dir": str(tmp_path / "logs"),
            "var_dir": str(tmp_path / "var"),
            "backup_dir": str(tmp_path / "backups"),
            "web_workers": "3",
        },
    )
    return tmp_path


def test_every_placeholder_has_a_value_and_a_missing_one_is_an_error(rendered: Path) -> None:
    for name in render.TEMPLATES:
        text = (rendered / "out" / name).read_text()
        assert "{{" not in text and "}}" not in text, name
    with pytest.raises(render.RenderError, match="no value for server_name"):
        render.render_text("server_name {{ server_name }};", {})
    assert "hourglass.test" in (rendered / "out/nginx/hourglass.conf").read_text()
    assert "--workers 3" in (rendered / "out/systemd/hourglass-web.service").read_text()


def test_nginx_accepts_the_site(rendered: Path) -> None:
    conf = rendered / "nginx.conf"
    conf.write_text(
        f"pid {rendered}/nginx.pid;\nerror_log {rendered}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {rendered}/logs/access.log;\n"
        f"  include {rendered}/out/nginx/hourglass.conf;\n}}\n"
    )
    checked = subprocess.run(
        [tool("nginx", "nginx"), "-t", "-c", str(conf), "-p", str(rendered)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    # And a broken one is refused: the check is real.
    site = rendered / "out/nginx/hourglass.conf"
    site.write_text(site.read_text().replace("proxy_pass http://hourglass_web;", "proxy_pass;", 1))
    broken = subprocess.run(
        [tool("nginx", "nginx"), "-t", "-c", str(conf), "-p", str(rendered)], capture_output=True, text=True
    )
    assert broken.returncode != 0


def test_systemd_accepts_the_units(rendered: Path) -> None:
    analyze = tool("systemd-analyze", "systemd")
    units = rendered / "out/systemd"
    verified = subprocess.run([analyze, "verify", "--man=no", *UNITS], cwd=units, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # Warnings (an unknown key, a bad value) print without failing: there must be none.
    assert verified.stdout.strip() == "" and verified.stderr.strip() == "", verified.stdout + verified.stderr
    broken = units / "hourglass-broken.service"
    broken.write_text((units / "hourglass-web.service").read_text().replace(".venv/bin/gunicorn", ".venv/bin/nope"))
    refused = subprocess.run([analyze, "verify", "--man=no", broken.name], cwd=units, capture_output=True, text=True)
    assert refused.returncode != 0 and "not executable" in refused.stderr


def test_logrotate_accepts_its_file(rendered: Path) -> None:
    state = rendered / "logrotate.state"
    checked = subprocess.run(
        [tool("logrotate", "logrotate"), "--debug", "--state", str(state), str(rendered / "out/logrotate/hourglass")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert not [line for line in checked.stderr.splitlines() if line.startswith("error")], checked.stderr
