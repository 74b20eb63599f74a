"""Every data migration can be reversed, or says here why not.

A RunPython without reverse_code (or a RunSQL without reverse_sql) makes ``migrate
<app> <earlier>`` fail: allowed only when listed in IRREVERSIBLE with the reason. A no-op
reverse is listed in NOOP_REVERSE with why leaving its rows is right.
"""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.loader import MigrationLoader

from .support import REPO

IRREVERSIBLE: dict[tuple[str, str], str] = {}
NOOP_REVERSE: dict[tuple[str, str], str] = {
    ("capacity", "0004_seed_capacity_defaults"): "seed rows; reversing further drops their tables (0001-0003)",
    ("health", "0002_partition_usage_events"): (
        "PostgreSQL only: the partitioned table keeps the same columns and names, so 0001's reverse drops it as is"
    ),
    ("health", "0004_seed_default_health_model"): "seed rows; reversing 0003 drops their tables",
    ("health", "0005_process_embedding"): "adds one seed measure; its table and key stay valid without the column",
    # The audit log's baselines: "created" rows in the historical tables the same migration
    # creates, so its reverse drops them with their tables.
    ("health", "0007_history"): "baseline rows in the historical tables it creates (dropped on reverse)",
    ("knowledge", "0002_history"): "baseline rows in the historical tables it creates (dropped on reverse)",
    ("playbooks", "0003_history"): "baseline rows in the historical tables it creates (dropped on reverse)",
    # Message keys filled in beside the stored text, which stays as it was: reversing drops
    # the key columns (accounts 0010, core 0006) and the old text reads as before.
    ("accounts", "0010_timeline_messages"): "fills the message key columns it adds; the stored texts are unchanged",
    ("health", "0009_alert_messages"): "fills message keys beside unchanged texts; accounts 0010's reverse drops them",
    ("renewals", "0009_expansion_owner_probability"): "fills the owner columns it adds (dropped on reverse)",
}


def project_migrations() -> list[tuple[tuple[str, str], migrations.Migration]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    project = {path.parent.parent.name for path in REPO.glob("*/migrations/__init__.py")}
    return sorted(
        ((key, migration) for key, migration in loader.disk_migrations.items() if key[0] in project),
        key=lambda kv: kv[0],
    )


def data_operations() -> dict[tuple[str, str], list[migrations.RunPython | migrations.RunSQL]]:
    found: dict[tuple[str, str], list[migrations.RunPython | migrations.RunSQL]] = {}
    for key, migration in project_migrations():
        for operation in migration.operations:
            if isinstance(operation, migrations.RunPython | migrations.RunSQL):
                found.setdefault(key, []).append(operation)
    return found


def test_data_migrations_are_found() -> None:
    assert ("org", "0001_initial") in data_operations()
    assert ("health", "0002_partition_usage_events") in data_operations()


def test_every_data_migration_is_reversible_or_says_why_not() -> None:
    irreversible = sorted(
        key for key, operations in data_operations().items()
        if any(not operation.reversible for operation in operations) and key not in IRREVERSIBLE
    )  # fmt: skip
    assert not irreversible, f"give reverse_code/reverse_sql, or list with the reason in IRREVERSIBLE: {irreversible}"


def test_every_no_op_reverse_says_why() -> None:
    noop = sorted(
        key
        for key, operations in data_operations().items()
        for operation in operations
        if isinstance(operation, migrations.RunPython) and operation.reverse_code is migrations.RunPython.noop
    )
    unexplained = [key for key in noop if key not in NOOP_REVERSE]
    assert not unexplained, f"a no-op reverse leaves rows behind: say why that is right in NOOP_REVERSE: {unexplained}"
    stale = [key for key in {**NOOP_REVERSE, **IRREVERSIBLE} if key not in data_operations()]
    assert not stale, f"listed but gone: {stale}"
