"""Back up a populated database, restore it into a fresh one, compare: SQLite and PostgreSQL.

Both engines run whatever the suite's configured database is: the commands run as an
operator runs them (subprocesses against databases of their own). PostgreSQL is required;
without it the tests fail with how to start it, never skip. The comparisons read both
databases with the raw driver, not with the code under test.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .support import checksum, counts, manage, pg_database, raw_cursor, rows

ENGINES = ("sqlite", "postgresql")
# Compared row for row (every column, by primary key) after the round trip.
KEY_TABLES = (
    "auth_user",
    "org_csprofile",
    "accounts_account",
    "accounts_stakeholder",
    "accounts_timelineentry",
    "health_healthscore",
    "renewals_contract",
    "renewals_renewalopportunity",
    "playbooks_task",
)


@dataclass
class Source:
    engine: str
    url: str
    var: Path
    dump: Path
    manifest: dict[str, Any]


def fresh_database(engine: str, stack: ExitStack, folder: Path) -> str:
    if engine == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'hourglass.sqlite3'}"
    return stack.enter_context(pg_database("hg_ops_restore"))


@pytest.fixture(scope="module", params=ENGINES)
def source(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A database built by migrate + seed_demo, and one backup of it."""
    engine = request.param
    with ExitStack() as stack:
        var = tmp_path_factory.mktemp(f"source-{engine}")
        url = fresh_database(engine, stack, var / "db")
        manage(url, var, "migrate", "--noinput", "-v0")
        manage(url, var, "seed_demo", "--accounts", "12")
        out = manage(url, var, "backup").stdout
        dumps = sorted((var / "backups").glob("hourglass-*.*[3p]"))
        assert len(dumps) == 1, out
        manifest = json.loads(dumps[0].with_suffix(".json").read_text())
        yield Source(engine, url, var, dumps[0], manifest)


@pytest.fixture
def target(source: Source, tmp_path: Path) -> Iterator[str]:
    with ExitStack() as stack:
        yield fresh_database(source.engine, stack, tmp_path / "target")


def test_the_manifest_describes_the_dump(source: Source) -> None:
    manifest = source.manifest
    assert manifest["engine"] == source.engine
    assert manifest["app_version"]
    assert manifest["created_at"]
    assert manifest["dump"] == source.dump.name
    assert manifest["dump_sha256"] == hashlib.sha256(source.dump.read_bytes()).hexdigest()
    assert manifest["tables"] == counts(source.url)
    applied = rows(source.url, "SELECT app, name FROM django_migrations")
    assert sorted((app, name) for app, names in manifest["migrations"].items() for name in names) == sorted(applied)
    assert set(KEY_TABLES) <= set(manifest["checksums"])
    assert manifest["tables"]["accounts_account"] == 12


def test_round_trip_restores_every_row_and_force_replaces_a_damaged_copy(source: Source, target: str) -> None:
    before = counts(source.url)
    assert before["accounts_account"] == 12 and before["playbooks_task"] > 0 and before["health_healthscore"] > 0

    out = manage(target, source.var, "restore", str(source.dump)).stdout
    assert "row counts and key-table checksums match the manifest" in out
    assert counts(target) == before
    for table in KEY_TABLES:
        assert checksum(target, table) == checksum(source.url, table), table
    assert sorted(rows(target, "SELECT app, name FROM django_migrations")) == sorted(
        rows(source.url, "SELECT app, name FROM django_migrations")
    )

    # The restored copy is damaged; restoring again is refused until --force, then whole.
    _damage_accounts(target)
    assert checksum(target, "accounts_account") != checksum(source.url, "accounts_account")
    refused = manage(target, source.var, "restore", str(source.dump), check=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "--force" in refused.stderr

    manage(target, source.var, "restore", "--force", str(source.dump.with_suffix(".json")))
    assert counts(target) == before
    assert checksum(target, "accounts_account") == checksum(source.url, "accounts_account")


def _damage_accounts(url: str) -> None:
    with raw_cursor(url) as cursor:
        cursor.execute("UPDATE accounts_account SET name = 'damaged'")
        cursor.connection.commit()


def _copy(source: Source, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.dump.with_suffix(".json"), folder)
    return Path(shutil.copy2(source.dump, folder))


# The refusals below are the same code on both engines (the engine-specific "not empty"
# check runs in the round trip above): one engine keeps the suite short.
SQLITE_ONLY = pytest.mark.parametrize("source", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_a_backup_from_a_newer_schema_is_refused_before_anything_is_written(
    source: Source, target: str, tmp_path: Path
) -> None:
    dump = _copy(source, tmp_path / "newer")
    manifest_file = dump.with_suffix(".json")
    manifest = json.loads(manifest_file.read_text())
    manifest["migrations"]["accounts"].append("9999_from_a_newer_release")
    manifest_file.write_text(json.dumps(manifest))

    refused = manage(target, source.var, "restore", str(dump), check=False)
    assert refused.returncode != 0
    assert "newer schema" in refused.stderr
    assert "accounts.9999_from_a_newer_release" in refused.stderr
    assert counts(target) == {}


@SQLITE_ONLY
def test_a_damaged_dump_is_refused(source: Source, target: str, tmp_path: Path) -> None:
    dump = _copy(source, tmp_path / "damaged")
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    refused = manage(target, source.var, "restore", str(dump), check=False)
    assert refused.returncode != 0
    assert "sha256" in refused.stderr and "damaged" in refused.stderr
    assert counts(target) == {}


@SQLITE_ONLY
def test_a_dump_of_the_other_engine_is_refused(source: Source, tmp_path: Path) -> None:
    other = "postgresql" if source.engine == "sqlite" else "sqlite"
    with ExitStack() as stack:
        url = fresh_database(other, stack, tmp_path / "other")
        refused = manage(url, source.var, "restore", str(source.dump), check=False)
        assert refused.returncode != 0
        assert f"this is a {source.engine} backup and the target database is {other}" in refused.stderr
        assert counts(url) == {}


@SQLITE_ONLY
def test_missing_files_are_named(source: Source, target: str, tmp_path: Path) -> None:
    missing = manage(target, source.var, "restore", str(tmp_path / "hourglass-nothing.sqlite3"), check=False)
    assert missing.returncode != 0 and "does not exist" in missing.stderr

    alone = tmp_path / "alone" / source.dump.name
    alone.parent.mkdir()
    shutil.copy2(source.dump, alone)
    no_manifest = manage(target, source.var, "restore", str(alone), check=False)
    assert no_manifest.returncode != 0 and "manifest" in no_manifest.stderr and "missing" in no_manifest.stderr


@SQLITE_ONLY
def test_retention_keeps_the_newest_backups(source: Source, tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    for _ in range(3):
        manage(source.url, source.var, "backup", "--dir", str(folder), "--keep", "2")
    kept = sorted(path.name for path in folder.iterdir())
    assert len(kept) == 4, kept  # two dumps, two manifests
    assert {Path(name).suffix for name in kept} == {".json", "." + source.dump.suffix.lstrip(".")}

    refused = manage(source.url, source.var, "backup", "--dir", str(folder), "--keep", "0", check=False)
    assert refused.returncode != 0 and "keep must be at least 1" in refused.stderr
