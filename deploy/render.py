"""Render the deployment templates in deploy/ with this site's values.

    python deploy/render.py --out /tmp/hourglass-deploy server_name=hourglass.example.com \\
        root=/srv/hourglass web_workers=9

Every ``{{ name }}`` in a template is replaced by its value (defaults below); a name
without a value is an error, so nothing half-rendered is written. The output mirrors
deploy/ (systemd/, nginx/, logrotate/, journald/, hourglass.env.example); docs/deploy.md
says where each file goes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
TEMPLATES = (
    "systemd/hourglass-web.service",
    "systemd/hourglass-worker@.service",
    "systemd/hourglass-beat.service",
    "systemd/hourglass-inbox.service",
    "systemd/hourglass-backup.service",
    "systemd/hourglass-backup.timer",
    "systemd/hourglass.target",
    "nginx/hourglass.conf",
    "logrotate/hourglass",
    "journald/hourglass.conf",
    "hourglass.env.example",
)
DEFAULTS = {
    "root": "/srv/hourglass",
    "user": "hourglass",
    "group": "hourglass",
    "env_file": "/etc/hourglass/hourglass.env",
    "var_dir": "/var/lib/hourglass",
    "backup_dir": "/var/backups/hourglass",
    "backup_calendar": "*-*-* 02:30:00",
    "server_name": "hourglass.example.com",
    "tls_certificate": "/etc/letsencrypt/live/hourglass.example.com/fullchain.pem",
    "tls_certificate_key": "/etc/letsencrypt/live/hourglass.example.com/privkey.pem",
    "nginx_log_dir": "/var/log/nginx",
    "http_port": "80",
    "https_port": "443",
    "web_bind": "127.0.0.1:8000",
    "web_workers": "5",
    "worker_concurrency": "4",
    "upload_max": "25m",
    "journal_max_use": "2G",
    "journal_retention": "1month",
    "secret_hint": "generate-with-secrets-token-urlsafe-50",
}


class RenderError(ValueError):
    pass


def render_text(text: str, values: dict[str, str]) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise RenderError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def render_all(out: Path, overrides: dict[str, str] | None = None) -> list[Path]:
    values = {**DEFAULTS, **(overrides or {})}
    written = []
    for name in TEMPLATES:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_text((HERE / name).read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="Directory to write the rendered files into.")
    parser.add_argument("values", nargs="*", metavar="name=value", help=f"Known names: {', '.join(DEFAULTS)}.")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.values:
        name, sep, value = item.partition("=")
        if not sep or name not in DEFAULTS:
            parser.error(f"{item!r}: expected name=value with a name among {', '.join(DEFAULTS)}")
        overrides[name] = value
    for path in render_all(args.out, overrides):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
