"""Nothing in the app keeps state on a PostgreSQL session between transactions, so it
runs behind PgBouncer in transaction mode (docs/scaling.md); the settings refuse
prepared statements there unless told the pooler keeps them apart.

The source scan names each session-bound construct and the transaction-scoped form to
use instead; the PgBouncer test (test_pgbouncer.py) runs the app through a real one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "tests", "bench", "migrations", "node_modules", "static", "var", ".git"}

# (pattern, why it breaks behind a transaction-mode pooler)
SESSION_STATE = [
    (re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I), "session advisory lock: use core.locks"),
    (re.compile(r"pg_advisory_unlock", re.I), "session advisory lock: use core.locks"),
    # SQL keywords are written in capitals here; "Set a person's role" is prose.
    (re.compile(r"""["']\s*SET\s+(?!LOCAL\b|CONSTRAINTS\b|TRANSACTION\b)\w"""), "SET without LOCAL"),
    (re.compile(r"set_config\([^)]*false", re.I), "set_config(..., false) is session-wide"),
    (re.compile(r"\bLISTEN\s+\w|\bNOTIFY\s+\w"), "LISTEN/NOTIFY need a session"),
    (re.compile(r"\bWITH\s+HOLD\b", re.I), "a cursor held past its transaction"),
    (re.compile(r"\.cursor\(\s*name\s*="), "a named (server-side) cursor"),
    (re.compile(r"\bprepare\s*=\s*True"), "a prepared statement"),
    (re.compile(r"prepare_threshold\s*=\s*\d"), "auto-prepared statements"),
]


def app_sources() -> list[Path]:
    return [path for path in REPO.rglob("*.py") if not SKIPPED_DIRS.intersection(path.relative_to(REPO).parts)]


def test_no_code_keeps_state_on_the_database_session():
    found = [
        f"{path.relative_to(REPO)}:{number}: {why}: {line.strip()}"
        for path in app_sources()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        for pattern, why in SESSION_STATE
        if pattern.search(line) and "# session-state-ok" not in line
    ]
    assert found == []


def test_the_scan_would_see_each_construct():
    lines = [
        'cursor.execute("SELECT pg_advisory_lock(1)")',
        'cursor.execute("SET work_mem = 1")',
        "connection.cursor(name='big')",
        'cursor.execute("LISTEN jobs")',
    ]
    for line in lines:
        assert any(pattern.search(line) for pattern, _why in SESSION_STATE), line
    for fine in [
        'cursor.execute("SET LOCAL hash_mem_multiplier = 8")',
        'cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")',
    ]:
        assert not any(pattern.search(fine) for pattern, _why in SESSION_STATE), fine


def test_temporary_tables_are_created_inside_a_transaction():
    """A temporary table lives on one server connection: it must not outlive the
    transaction that made it, so each ``CREATE TEMPORARY TABLE`` sits in an atomic block
    (the function's own ``transaction.atomic()`` just above) or is ``ON COMMIT DROP``
    (which only works inside a transaction: in autocommit the next statement would fail)."""
    offenders = []
    for path in app_sources():
        lines = path.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines):
            if "CREATE TEMPORARY TABLE" in line.upper() or "CREATE TEMP TABLE" in line.upper():
                context = "\n".join(lines[max(0, number - 12) : number])
                if "transaction.atomic()" not in context and "ON COMMIT DROP" not in line.upper():
                    offenders.append(f"{path.relative_to(REPO)}:{number + 1}")
    assert offenders == []


def _settings_with(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **extra}
    code = "import django; django.setup(); from django.conf import settings; d = settings.DATABASES['default']; "
    code += "print(repr(d['OPTIONS'].get('prepare_threshold', 'unset')), d['DISABLE_SERVER_SIDE_CURSORS'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_pgbouncer_setting_refuses_prepared_statements_unless_the_pooler_keeps_them():
    url = "postgres://postgres@127.0.0.1:6432/hourglass"
    plain = _settings_with({"DATABASE_URL": url, "HOURGLASS_PGBOUNCER": "true"})
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split() == ["None", "True"]

    asked = _settings_with({"DATABASE_URL": f"{url}?prepare_threshold=5", "HOURGLASS_PGBOUNCER": "true"})
    assert asked.returncode != 0
    assert "prepare_threshold" in asked.stderr and "HOURGLASS_PGBOUNCER_PREPARED_STATEMENTS" in asked.stderr

    allowed = _settings_with(
        {
            "DATABASE_URL": f"{url}?prepare_threshold=5",
            "HOURGLASS_PGBOUNCER": "true",
            "HOURGLASS_PGBOUNCER_PREPARED_STATEMENTS": "true",
        }
    )
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.split()[0] in ("5", "'5'")
