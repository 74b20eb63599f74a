from __future__ import annotations

import hashlib
from datetime import date

from celery import shared_task

from core.locks import chunk_claim

from .lapsed import renewals_mark_lapsed
from .reminders import reminder_sweep_dispatch, reminders_claim_owed


@shared_task(name="renewals.lapsed_sweep_task", ignore_result=True, acks_late=True)
def lapsed_sweep_task(*, day: str | None = None) -> int:
    """Daily (beat, 00:40 local): open renewals whose date passed become lapsed, once.

    Safe to run twice or concurrently: a renewal already lapsed is no longer a candidate."""
    from core.clock import local_date

    return renewals_mark_lapsed(today=date.fromisoformat(day) if day else local_date()).lapsed


@shared_task(name="renewals.reminder_sweep_task", ignore_result=True, acks_late=True)
def reminder_sweep_task() -> int:
    """Daily (beat, 08:00 local): find the reminders owed and send a task per batch.

    Safe to run twice or concurrently: claims are unique rows."""
    return reminder_sweep_dispatch().tasks


@shared_task(name="renewals.reminder_batch_task", ignore_result=True, acks_late=True)
def reminder_batch_task(*, renewal_ids: list[int], today: str, audience: str) -> int:
    """Claim and queue what these renewals are owed (one transaction); a re-run claims nothing.

    A second copy of the batch (two sweeps at once, a redelivery) skips it while another
    worker holds it (``core.locks.chunk_claim``) instead of queueing behind its claim rows.
    """
    digest = hashlib.blake2b(",".join(map(str, sorted(renewal_ids))).encode(), digest_size=12).hexdigest()
    with chunk_claim(f"renewals.reminder_batch:{today}:{audience}:{digest}") as claimed:
        if not claimed:
            return 0
        return reminders_claim_owed(renewal_ids, today=date.fromisoformat(today), audience=audience)


@shared_task(name="renewals.kpi_facts_refresh_task", ignore_result=True, acks_late=True)
def kpi_facts_refresh_task() -> int:
    """A few seconds after a change (debounced): refresh the KPI facts of the marked
    accounts. Safe to run twice: a refreshed account is no longer marked."""
    from .kpi_facts.services import kpi_marked_refresh

    return kpi_marked_refresh()


@shared_task(name="renewals.kpi_facts_rebuild_task", ignore_result=True, acks_late=True)
def kpi_facts_rebuild_task() -> int:
    """Nightly (beat, after the lapsed sweep and the ledger): every account's KPI facts
    and the cells from their inputs (idempotent)."""
    from .kpi_facts.services import kpi_facts_rebuild

    return kpi_facts_rebuild()
