"""On PostgreSQL, turn the usage-event table into one range-partitioned by month.

Django creates the table (0001); here, on PostgreSQL only, it is recreated as
``PARTITION BY RANGE (occurred_at)`` with a DEFAULT partition (so no event is ever
refused for lack of a partition) and monthly partitions from this month on. The
constraints and indexes Django created are carried over under the same names, so later
migrations can still find them; the primary key becomes ``(id, occurred_at)`` because
a partitioned table's unique keys must contain the partition key. SQLite keeps the
normal table.

The partition helpers are inlined on purpose: a migration must not change behaviour
when ``health.partitions`` changes later. Months are cut at 00:00 UTC, like there.
"""

from __future__ import annotations

from datetime import date

from django.db import migrations

TABLE = "health_usageevent"
OLD = "health_usageevent_unpartitioned"
MONTHS_AHEAD = 3


def _month_start(day: date, plus: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + plus
    return date(index // 12, index % 12 + 1, 1)


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
            [TABLE],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [TABLE],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [TABLE],
        )
        (pkey_name,) = cursor.fetchone()

    run(f'ALTER TABLE "{TABLE}" RENAME TO "{OLD}"')
    run(
        f'CREATE TABLE "{TABLE}" (LIKE "{OLD}" INCLUDING DEFAULTS INCLUDING IDENTITY) PARTITION BY RANGE ("occurred_at")'
    )
    first = _month_start(date.today())
    for offset in range(MONTHS_AHEAD + 1):
        lower, upper = _month_start(first, offset), _month_start(first, offset + 1)
        run(
            f'CREATE TABLE "{TABLE}_p{lower:%Y_%m}" PARTITION OF "{TABLE}" '
            f"FOR VALUES FROM ('{lower.isoformat()} 00:00:00+00') TO ('{upper.isoformat()} 00:00:00+00')"
        )
    run(f'CREATE TABLE "{TABLE}_default" PARTITION OF "{TABLE}" DEFAULT')
    run(f'INSERT INTO "{TABLE}" SELECT * FROM "{OLD}"')
    run(f"SELECT setval(pg_get_serial_sequence('\"{TABLE}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{OLD}\"), 0) + 1, false)")
    # Dropping the old table frees the constraint and index names for the new one.
    run(f'DROP TABLE "{OLD}"')
    run(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{pkey_name}" PRIMARY KEY ("id", "occurred_at")')
    for name, definition in constraints:
        run(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        run(definition.replace(f"public.{OLD}", f'"{TABLE}"').replace(f" {OLD} ", f' "{TABLE}" '))


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0001_initial"),
    ]

    # Reversing leaves the (still fully working) partitioned table in place; going
    # back to zero drops it with its partitions.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
