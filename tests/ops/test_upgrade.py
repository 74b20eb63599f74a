"""Tested upgrades: a database built by a release, with demo data, migrates to this code's
schema on PostgreSQL and keeps every row.

The releases are listed in ``scripts/releases.txt`` (``make tags`` tags them); the first
(every migration runs) and the last (the upgrade a deployment makes now) are tested. A
release's tree comes from git (``git archive`` of its commit, so CI needs the history: a
full clone); its own ``manage.py migrate`` and ``seed_demo`` build the database
with this virtualenv, then this code's ``migrate`` upgrades it. Compared with the raw driver:
no table loses a row, the key tables keep every row field by field (tables and columns
renamed on the way followed), and this code's models read the people moved to ``org``.
"""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .support import REPO, counts, manage, pg_database, raw_cursor, rows

RELEASES_FILE = REPO / "scripts" / "releases.txt"


@dataclass(frozen=True)
class Release:
    tag: str
    commit: str


def releases() -> list[Release]:
    """The releases of ``scripts/releases.txt``, oldest first."""
    found = []
    for line in RELEASES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            tag, commit, *_ = line.split()
            found.append(Release(tag, commit))
    return found


# Renamed after a release: tables (people moved from capacity to org in v0.2) and columns.
# A release's database is compared with the new names of what it had.
TABLE_RENAMES = {
    "v0.1": {
        "capacity_team": "org_team",
        "capacity_historicalteam": "org_historicalteam",
        "capacity_csprofile": "org_csprofile",
        "capacity_historicalcsprofile": "org_historicalcsprofile",
    },
}
COLUMN_RENAMES = {"v0.1": {("renewals_renewalreminder", "sent_at"): "queued_at"}}
# Compared row by row, every column the old schema had (today's names).
KEY_TABLES = (
    "auth_user",
    "org_team",
    "org_csprofile",
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


def release_tree(release: Release, folder: Path) -> Path:
    if git("cat-file", "-e", f"{release.commit}^{{commit}}").returncode != 0:
        raise AssertionError(
            f"commit {release.commit} ({release.tag}) is not in this clone: the upgrade test needs the "
            "history (git fetch --unshallow, or a full clone)"
        )
    tagged = git("rev-parse", "--verify", "--quiet", f"refs/tags/{release.tag}^{{commit}}")
    if tagged.returncode == 0:
        assert tagged.stdout.decode().strip() == release.commit, f"tag {release.tag} moved: releases.txt disagrees"
    archive = git("archive", "--format=tar", release.commit)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def test_releases_are_listed_oldest_first_and_in_this_history() -> None:
    listed = releases()
    assert [r.tag for r in listed][:1] == ["v0.1"] and len({r.tag for r in listed}) == len(listed)
    for older, newer in itertools.pairwise(listed):
        assert git("merge-base", "--is-ancestor", older.commit, newer.commit).returncode == 0, newer.tag
    assert git("merge-base", "--is-ancestor", listed[-1].commit, "HEAD").returncode == 0


def snapshot(url: str, table: str) -> dict[Any, dict[str, Any]]:
    """Every row of a table by primary key, as {column: value}."""
    with raw_cursor(url) as cursor:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')  # noqa: S608 - our table names
        names = [column.name for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


# The first release runs every migration; the last is the upgrade a deployment makes now.
UPGRADED_FROM = sorted({releases()[0].tag, releases()[-1].tag}, key=[r.tag for r in releases()].index)


@pytest.mark.parametrize("tag", UPGRADED_FROM)
def test_a_release_upgrades_with_nothing_lost(tmp_path: Path, tag: str) -> None:
    release = next(r for r in releases() if r.tag == tag)
    old = release_tree(release, tmp_path / "previous")
    var = tmp_path / "var"
    new_name = TABLE_RENAMES.get(tag, {})
    old_name = {new: old for old, new in new_name.items()}
    columns = COLUMN_RENAMES.get(tag, {})
    with pg_database(f"hg_ops_upgrade_{tag.replace('.', '_')}") as url:
        manage(url, var, "migrate", "--noinput", "-v0", cwd=old)
        manage(url, var, "seed_demo", "--accounts", "15", cwd=old)
        before = counts(url)
        profiles, teams = old_name.get("org_csprofile", "org_csprofile"), old_name.get("org_team", "org_team")
        assert before["accounts_account"] == 15 and before[profiles] > 0
        kept = {old_name.get(table, table): snapshot(url, old_name.get(table, table)) for table in KEY_TABLES}
        people = rows(
            url,
            f"SELECT u.username, p.role, t.name, p.language FROM {profiles} p"  # noqa: S608 - our table names
            f" JOIN auth_user u ON u.id = p.user_id LEFT JOIN {teams} t ON t.id = p.team_id ORDER BY u.username",
        )

        manage(url, var, "migrate", "--noinput", "-v0")  # this code
        after = counts(url)

        for table, count in before.items():
            renamed = new_name.get(table, table)
            assert renamed in after, f"{table} is gone after the upgrade"
            assert after[renamed] >= count, f"{renamed}: {count} rows before, {after[renamed]} after"
        for table, old_rows in kept.items():
            renamed = new_name.get(table, table)
            new_rows = snapshot(url, renamed)
            assert new_rows.keys() == old_rows.keys(), renamed
            for pk, old_row in old_rows.items():
                for column, value in old_row.items():
                    new_column = columns.get((table, column), column)
                    assert new_rows[pk][new_column] == value, f"{renamed}.{new_column} of row {pk}"

        # This code's models read the people as the old schema held them.
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
