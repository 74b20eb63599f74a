"""Helpers of the ops tests: run manage.py as an operator would, and databases of their own.

Each test database is a real one: a SQLite file in a temporary folder, or a PostgreSQL
database created on the server at ``HOURGLASS_OPS_PG_URL`` (default
postgres://postgres@127.0.0.1:5432, the machine's server) and dropped afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

REPO = Path(settings.BASE_DIR)
PG_SERVER = os.environ.get("HOURGLASS_OPS_PG_URL", "postgres://postgres@127.0.0.1:5432")
START_PG = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def pg_admin() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # never skip: the engine must be covered
        raise AssertionError(
            f"PostgreSQL at {PG_SERVER} does not answer ({exc}); these tests need it. Start it with "
            f"`{START_PG}` or point HOURGLASS_OPS_PG_URL at a server."
        ) from exc


@contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """A new empty PostgreSQL database; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(
    url: str, var_dir: Path, *args: str, cwd: Path = REPO, check: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    """``manage.py <args>`` in a subprocess against the database at ``url``."""
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))},
        "DATABASE_URL": url,
        "HOURGLASS_VAR_DIR": str(var_dir),
        # Its own broker folder: nothing a test does reaches a running deployment's queue.
        "CELERY_BROKER_URL": "filesystem://",
        "HOURGLASS_BACKUP_DIR": str(var_dir / "backups"),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600
    )
    if check and done.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


# --- What a database holds, read with the raw driver (not the code under test) -----------


@contextmanager
def raw_cursor(url: str) -> Iterator[Any]:
    if url.startswith("sqlite:///"):
        connection: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        connection = psycopg.connect(url)
    try:
        yield connection.cursor()
    finally:
        connection.close()


def tables(cursor: Any, url: str) -> list[str]:
    if url.startswith("sqlite"):
        cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return sorted(row[0] for row in cursor.fetchall())


def counts(url: str) -> dict[str, int]:
    with raw_cursor(url) as cursor:
        found = {}
        for table in tables(cursor, url):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
            found[table] = cursor.fetchone()[0]
        return found


def checksum(url: str, table: str, order_by: str = "id") -> str:
    """sha256 of every row of a table, by ``order_by``, as the driver returns them."""
    with raw_cursor(url) as cursor:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY {order_by}')  # noqa: S608 - the tests' own names
        return hashlib.sha256(json.dumps([list(row) for row in cursor.fetchall()], default=str).encode()).hexdigest()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with raw_cursor(url) as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
