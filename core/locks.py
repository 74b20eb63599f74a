"""PostgreSQL advisory locks held until the transaction ends."""

from __future__ import annotations

from django.db import connection

_INT4 = 2**31 - 1


def advisory_xact_lock(namespace: int, *keys: int) -> None:
    """Take the ``(namespace, key)`` lock of each key until commit or rollback.

    Keys are taken in ascending order, so two transactions locking overlapping sets
    queue behind each other instead of deadlocking; keys beyond 32 bits wrap. Other
    databases: nothing to do, SQLite serialises writers already.
    """
    if connection.vendor != "postgresql" or not keys:
        return
    ordered = sorted({key % _INT4 for key in keys})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k",
            [namespace, ordered],
        )
