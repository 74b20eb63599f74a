"""Run the web server, a Celery worker, Celery beat and the email inbox together; Ctrl-C stops all.

This is what ``make run`` starts. In production run them as separate services
(gunicorn for the web tier, ``celery worker`` on as many hosts as needed, one
``celery beat``, one ``manage.py runinbox`` — deploy/systemd/).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from workspace.demo import demo_logins


def shown_host(host: str) -> str:
    return "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104


def child_environment(host: str, port: int) -> dict[str, str]:
    """The processes' environment: links in emails point at the port the app runs on,
    unless the deployment set its own ``HOURGLASS_BASE_URL``."""
    environment = dict(os.environ)
    environment.setdefault("HOURGLASS_BASE_URL", f"http://{shown_host(host)}:{port}")
    return environment


class Command(BaseCommand):
    help = "Run web server + Celery worker + Celery beat + inbox listener in one process group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        address = f"{options['host']}:{options['port']}"
        commands = {
            "web": [python, "manage.py", "runserver", "--noreload", address],
            "worker": [
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(options["concurrency"]),
                "--without-gossip",
                "--without-mingle",
            ],
            "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME],
            # The SMTP listener for BCC'd email (docs/inbox.md), on HOURGLASS_INBOX_HOST/PORT.
            "inbox": [python, "manage.py", "runinbox"],
        }
        os.makedirs(settings.VAR_DIR, exist_ok=True)
        children = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=child_environment(options["host"], options["port"]))
            for name, cmd in commands.items()
        }
        self._print_banner(options["host"], options["port"])

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with code {child.returncode}; stopping the others.")
                    exit_code = child.returncode or 1
                    stopping = True
                    break
            time.sleep(0.5)
        self._stop_all(children)
        if exit_code:
            sys.exit(exit_code)

    def _stop_all(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Hourglass stopped.")

    def _print_banner(self, host: str, port: int) -> None:
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
        lines = [
            "",
            "=" * 64,
            f"  Hourglass is running at http://{shown_host(host)}:{port}/",
            f"  database: {database}   broker: {broker}   (Ctrl-C stops everything)",
            "  Demo logins:",
            *[f"    {login.username:<10} {login.role:<8} password: {login.password}" for login in demo_logins()],
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))
