"""Tested upgrades: a database built by the previous release, with demo data, migrates to
this code's schema on PostgreSQL and keeps every row.

The previous release's tree comes from git (``git archive`` of its commit, so CI needs the
history: a full clone); its own ``manage.py migrate`` and ``seed_demo`` build the database
with this virtualenv, then this code's ``migrate`` upgrades it. Compared with the raw driver:
no table loses a row, the key tables keep every row field by field (tables and columns
renamed on the way followed), and this code's models read the people moved to ``org``.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from .support import REPO, counts, manage, pg_database, raw_cursor, rows

# (tag, commit): one per release that changed the schema; the test upgrades from the last.
RELEASES = [("v0.1", "e8ac640c3ffb12f0bb5a3f11cbc1d636cc09e3cd")]
# Renamed since: tables (people moved from capacity to org) and columns.
TABLE_RENAMES = {
    "capacity_team": "org_team",
    "capacity_historicalteam": "org_historicalteam",
    "capacity_csprofile": "org_csprofile",
    "capacity_historicalcsprofile": "org_historicalcsprofile",
}
COLUMN_RENAMES = {("renewals_renewalreminder", "sent_at"): "queued_at"}
# Compared row by row, every column the old schema had.
KEY_TABLES = (
    "auth_user",
    "capacity_team",
    "capacity_csprofile",
    "accounts_account",
    "accounts_stakeholder",
    "accounts_dossiersection",
    "accounts_timelineentry",
    "health_healthscore",
    "health_dailyrollup",
    "renewals_contract",
    "renewals_renewalopportunity",
    "renewals_renewalreminder",
    "playbooks_task",
    "capacity_timeentry",
)


def git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, check=False)


def previous_release_tree(folder: Path) -> Path:
    tag, commit = RELEASES[-1]
    if git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        raise AssertionError(
            f"commit {commit} ({tag}) is not in this clone: the upgrade test needs the history "
            "(git fetch --unshallow, or a full clone)"
        )
    tagged = git("rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}")
    if tagged.returncode == 0:
        assert tagged.stdout.decode().strip() == commit, f"tag {tag} moved: RELEASES says {commit}"
    archive = git("archive", "--format=tar", commit)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def snapshot(url: str, table: str) -> dict[Any, dict[str, Any]]:
    """Every row of a table by primary key, as {column: value}."""
    with raw_cursor(url) as cursor:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')  # noqa: S608 - our table names
        names = [column.name for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_the_previous_release_upgrades_with_nothing_lost(tmp_path: Path) -> None:
    old = previous_release_tree(tmp_path / "previous")
    var = tmp_path / "var"
    with pg_database("hg_ops_upgrade") as url:
        manage(url, var, "migrate", "--noinput", "-v0", cwd=old)
        manage(url, var, "seed_demo", "--accounts", "15", cwd=old)
        before = counts(url)
        assert before["accounts_account"] == 15 and before["capacity_csprofile"] > 0
        kept = {table: snapshot(url, table) for table in KEY_TABLES}
        people = rows(
            url,
            "SELECT u.username, p.role, t.name, p.language FROM capacity_csprofile p"
            " JOIN auth_user u ON u.id = p.user_id LEFT JOIN capacity_team t ON t.id = p.team_id ORDER BY u.username",
        )

        manage(url, var, "migrate", "--noinput", "-v0")  # this code
        after = counts(url)

        for table, count in before.items():
            renamed = TABLE_RENAMES.get(table, table)
            assert renamed in after, f"{table} is gone after the upgrade"
            assert after[renamed] >= count, f"{renamed}: {count} rows before, {after[renamed]} after"
        for table, old_rows in kept.items():
            renamed = TABLE_RENAMES.get(table, table)
            new_rows = snapshot(url, renamed)
            assert new_rows.keys() == old_rows.keys(), renamed
            for pk, old_row in old_rows.items():
                for column, value in old_row.items():
                    new_column = COLUMN_RENAMES.get((table, column), column)
                    assert new_rows[pk][new_column] == value, f"{renamed}.{new_column} of row {pk}"

        # This code's models read the moved people as the old schema held them.
        read = manage(url, var, "shell", "-c", READ_PEOPLE).stdout
        assert [tuple(row) for row in json.loads(read.strip().splitlines()[-1])] == people


READ_PEOPLE = """
import json
from org.models import CsProfile
print(json.dumps([
    [p.user.username, p.role, p.team.name if p.team else None, p.language]
    for p in CsProfile.objects.select_related("user", "team").order_by("user__username")
]))
"""
