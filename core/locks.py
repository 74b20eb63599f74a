"""PostgreSQL advisory locks held until the transaction ends, and the per-chunk claim of
the sweeps that fan out over Celery workers.

Every lock here is transaction-level (``pg_advisory_xact_lock`` /
``pg_try_advisory_xact_lock``): it ends with the transaction that took it, so nothing
is left on the server connection afterwards. That keeps the locks right behind
PgBouncer in transaction mode, which hands each transaction to any server connection
(docs/scaling.md); a session-level lock would stay on a connection another client gets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection, transaction

_INT4 = 2**31 - 1
_INT8 = 2**63


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


def _lock_key(name: str) -> int:
    """A signed 64-bit key for ``name`` (the one-key form: its key space is apart from the
    two-key form's above); 64 bits make two different chunks colliding negligible."""
    number = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    return number - _INT8 if number >= _INT8 else number


def try_advisory_xact_lock(name: str) -> bool:
    """Take the lock named ``name`` until the transaction ends, if no one holds it.

    Must be called inside a transaction (in autocommit it would end at once). Other
    databases: always True (SQLite serialises writers).
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_key(name)])
        return bool(cursor.fetchone()[0])


def _done_key(name: str) -> str:
    return f"chunk-done:{hashlib.blake2b(name.encode(), digest_size=16).hexdigest()}"


@contextmanager
def chunk_claim(name: str, *, remember_seconds: int = 0) -> Iterator[bool]:
    """Run one chunk of a fanned-out sweep in one transaction, by one worker at a time.

    Yields True when this worker claimed the chunk and must do it (inside the
    transaction); False when another worker holds it right now, or, with
    ``remember_seconds``, when a run of the same chunk committed within that time.

    Skipping a held chunk loses nothing: the holder's message is the one Celery
    redelivers if the holder dies (late acks, ``task_reject_on_worker_lost``), and the
    transaction it rolls back leaves the chunk undone. The "done" mark is written to the
    cache after commit, never before, so a chunk marked done has committed; a second
    message arriving between that commit and the mark redoes the chunk, which every
    chunk task must tolerate (they are idempotent upserts and unique claims).
    """
    done_key = _done_key(name) if remember_seconds else ""
    if done_key and cache.get(done_key):
        yield False
        return
    with transaction.atomic():
        if not try_advisory_xact_lock(name) or (done_key and cache.get(done_key)):
            yield False
            return
        yield True
        if done_key:
            transaction.on_commit(lambda: cache.set(done_key, 1, remember_seconds))
