"""A PostgreSQL cluster of a test's own: ``initdb`` into a temporary folder, on a free
port, started and stopped (or restarted) by the test with ``pg_ctl``.

PostgreSQL refuses to run as root; when the tests run as root the cluster belongs to the
``postgres`` system user (``runuser``), as Debian's own clusters do.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import free_port

PG_BIN = Path(os.environ.get("HOURGLASS_PG_BIN", "/usr/lib/postgresql/15/bin"))


class Cluster:
    def __init__(self, folder: Path, port: int, owner: str | None) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port
        self.owner = owner

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise AssertionError(f"{args[0]} failed: {done.stdout}{done.stderr}\n{tail}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def connect(self, database: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():  # never skip: the engine must be covered
        raise AssertionError(f"{PG_BIN}/initdb not found; install PostgreSQL 15 or set HOURGLASS_PG_BIN")
    owner = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="hg-pg-"))
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(folder, free_port(), owner)
    try:
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        cluster.start()
        try:
            yield cluster
        finally:
            if (cluster.data / "postmaster.pid").exists():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
