"""A private PgBouncer in transaction mode in front of the machine's PostgreSQL, for a test.

Debian's package (``make pgbouncer`` installs it); the test starts its own process on a
free port with a configuration of its own, the package's service is not used.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if not found:
        pytest.fail("pgbouncer is missing: run `make pgbouncer` (installs Debian's pgbouncer package)", pytrace=False)
    return found


def _system_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.fail("PgBouncer refuses to run as root and there is no postgres or nobody user", pytrace=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Bouncer:
    port: int
    database: str
    log_path: Path

    def url(self, database: str | None = None) -> str:
        return f"postgres://{PG_USER}@127.0.0.1:{self.port}/{database or self.database}"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stats(self) -> dict[str, int]:
        """``SHOW STATS`` of the admin console for the database: transactions and queries served."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="pgbouncer", autocommit=True, prepare_threshold=None
        ) as admin:
            cursor = admin.execute("SHOW STATS")
            names = [column.name for column in cursor.description or []]
            for row in cursor.fetchall():
                stats = dict(zip(names, row, strict=True))
                if stats["database"] == self.database:
                    return {"xacts": int(stats["total_xact_count"]), "queries": int(stats["total_query_count"])}
        return {"xacts": 0, "queries": 0}

    def pool_mode(self) -> str:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="pgbouncer", autocommit=True, prepare_threshold=None
        ) as admin:
            for row in admin.execute("SHOW CONFIG").fetchall():
                if row[0] == "pool_mode":
                    return str(row[1])
        return ""


@contextmanager
def running_pgbouncer(database: str, *, pool_size: int = 3) -> Iterator[Bouncer]:
    """PgBouncer (transaction pooling, ``pool_size`` server connections) for ``database``."""
    binary = pgbouncer_binary()
    folder = Path(tempfile.mkdtemp(prefix="hg-pgbouncer-"))
    port = free_port()
    (folder / "users.txt").write_text(f'"{PG_USER}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "\n".join(
            [
                "[databases]",
                f"{database} = host={PG_HOST} port={PG_PORT} dbname={database}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                f"unix_socket_dir = {folder}",
                "auth_type = trust",
                f"auth_file = {folder / 'users.txt'}",
                f"admin_users = {PG_USER}",
                "pool_mode = transaction",
                f"default_pool_size = {pool_size}",
                "max_client_conn = 200",
                "ignore_startup_parameters = extra_float_digits,options",
                f"logfile = {folder / 'pgbouncer.log'}",
                f"pidfile = {folder / 'pgbouncer.pid'}",
                "",
            ]
        )
    )
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root: drop to the database's system user
        system_user = _system_user()
        for path in [folder, *folder.iterdir()]:
            shutil.chown(path, user=system_user)
        command[1:1] = ["-u", system_user]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    bouncer = Bouncer(port=port, database=database, log_path=folder / "pgbouncer.log")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pgbouncer did not start:\n{bouncer.logs()}", pytrace=False)
                time.sleep(0.1)
        yield bouncer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """An empty PostgreSQL database on the machine's server, dropped afterwards."""
    import psycopg

    try:
        server = psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} (docs/architecture.md): {exc}", pytrace=False)
    with server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
