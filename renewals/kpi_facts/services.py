"""Writes of the KPI facts: the nightly rebuild, the incremental refresh of changed
accounts, and marking accounts to refresh.

Freshness: every save or delete of an account, contract, renewal or purchased product
and every rollup write (``health.signals.rollups_written``) marks the account; after
the transaction commits a refresh task runs ``KPI_REFRESH_DELAY`` seconds later
(debounced: a burst of changes is one refresh). A request that finds accounts still
marked refreshes them first (up to ``INLINE_REFRESH_MAX``; more and it computes the
figures directly), so the page is never behind a change that marked its account.
Writes that bypass the model signals (queryset updates, bulk updates) are caught by the
nightly rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.locks import advisory_xact_lock

from .build import CellKey, _account_keys, cell_key, facts_of, fingerprint, summed
from .ledger_cells import ledger_fact_rows, ledger_fact_sums, ledger_facts_of, ledger_summed
from .models import (
    CELL_KEYS,
    FIGURES,
    LEDGER_SUMS,
    KpiCell,
    KpiDirtyAccount,
    KpiFact,
    KpiFactState,
    KpiLedgerCell,
    KpiLedgerFact,
)

_LOCK = 0x4B504946  # "KPIF": one writer of the facts and cells at a time
BATCH = 5000
KPI_REFRESH_DELAY = 5  # seconds: the debounce of the refresh after a change
INLINE_REFRESH_MAX = 200


@transaction.atomic
def kpi_facts_rebuild() -> int:
    """Every account's facts and the cells from the inputs; returns the fact rows."""
    advisory_xact_lock(_LOCK, 0)
    started = timezone.now()
    facts = facts_of(None)
    KpiFact.objects.all().delete()
    KpiCell.objects.all().delete()
    KpiFact.objects.bulk_create(facts, batch_size=BATCH)
    cells = [KpiCell(**dict(zip(CELL_KEYS, key, strict=True)), **sums) for key, sums in summed(facts).items()]
    KpiCell.objects.bulk_create(cells, batch_size=BATCH)
    _ledger_rebuild()
    # Accounts marked while the rebuild read its inputs stay marked for a refresh.
    KpiDirtyAccount.objects.filter(marked_at__lte=started).delete()
    KpiFactState.objects.update_or_create(key="facts", defaults={"fingerprint": fingerprint(), "built_at": started})
    return len(facts)


def _cells_moved(old: dict[CellKey, dict[str, Any]], new: dict[CellKey, dict[str, Any]]) -> None:
    """Add ``new`` and take ``old`` out of the cells they key (under the lock)."""
    keys = set(old) | set(new)
    if not keys:
        return
    quarters = {key[0] for key in keys}
    owners = {key[1] for key in keys}
    current = {cell_key(cell): cell for cell in KpiCell.objects.filter(quarter__in=quarters, owner_key__in=owners)}
    changed: list[KpiCell] = []
    emptied: list[int] = []
    for key in keys:
        cell = current.get(key) or KpiCell(**dict(zip(CELL_KEYS, key, strict=True)))
        for name in (*FIGURES, "accounts"):
            value = getattr(cell, name) + new.get(key, {}).get(name, 0) - old.get(key, {}).get(name, 0)
            setattr(cell, name, value)
        if cell.accounts == 0:
            if cell.pk is not None:
                emptied.append(cell.pk)
        else:
            changed.append(cell)
    KpiCell.objects.filter(pk__in=emptied).delete()
    KpiCell.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=list(CELL_KEYS),
        update_fields=[*FIGURES, "accounts"],
        batch_size=BATCH,
    )


@transaction.atomic
def kpi_facts_refresh(*, account_ids: Iterable[int]) -> int:
    """Recompute these accounts' facts and move the cells by the difference; returns
    the fact rows written. A deleted account's facts are only taken out."""
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    advisory_xact_lock(_LOCK, 0)
    started = timezone.now()
    if not KpiFactState.objects.exists():
        return 0  # nothing built yet: the reports compute directly, the rebuild reads all
    old = summed(KpiFact.objects.filter(account_id__in=ids))
    KpiFact.objects.filter(account_id__in=ids).delete()
    facts = facts_of(ids)
    KpiFact.objects.bulk_create(facts, batch_size=BATCH)
    _cells_moved(old, summed(facts))
    _ledger_refresh(ids)
    # A mark made after this refresh began may be of a change it did not see: kept.
    KpiDirtyAccount.objects.filter(account_id__in=ids, marked_at__lte=started).delete()
    return len(facts)


def _ledger_facts(account_ids: Sequence[int] | None) -> tuple[list[KpiLedgerFact], dict[str, dict[str, Any]]]:
    found = ledger_facts_of(account_ids, _account_keys(account_ids))
    facts = ledger_fact_rows(found)
    for key, _sums in found:
        del key["account_id"]
    return facts, ledger_summed(found)


def _ledger_rebuild() -> None:
    facts, cells = _ledger_facts(None)
    KpiLedgerFact.objects.all().delete()
    KpiLedgerCell.objects.all().delete()
    KpiLedgerFact.objects.bulk_create(facts, batch_size=BATCH)
    KpiLedgerCell.objects.bulk_create(
        [KpiLedgerCell(combo=combo, **values) for combo, values in cells.items()], batch_size=BATCH
    )


def _ledger_refresh(ids: Sequence[int]) -> None:
    """Take the accounts' old quarter rows out of the ledger cells and put the new in."""
    old = ledger_fact_sums(KpiLedgerFact.objects.filter(account_id__in=ids))
    KpiLedgerFact.objects.filter(account_id__in=ids).delete()
    facts, new = _ledger_facts(ids)
    KpiLedgerFact.objects.bulk_create(facts, batch_size=BATCH)
    combos = set(old) | set(new)
    current = {cell.combo: cell for cell in KpiLedgerCell.objects.filter(combo__in=combos)}
    changed, emptied = [], []
    for combo in combos:
        cell = current.get(combo)
        if cell is None:
            cell = KpiLedgerCell(combo=combo, **{k: v for k, v in new[combo].items() if k not in LEDGER_SUMS})
        for name in LEDGER_SUMS:
            value = getattr(cell, name) + new.get(combo, {}).get(name, 0) - old.get(combo, {}).get(name, 0)
            setattr(cell, name, value)
        if cell.accounts == 0:
            if cell.pk is not None:
                emptied.append(cell.pk)
        else:
            changed.append(cell)
    KpiLedgerCell.objects.filter(pk__in=emptied).delete()
    KpiLedgerCell.objects.bulk_create(
        changed, update_conflicts=True, unique_fields=["combo"], update_fields=list(LEDGER_SUMS), batch_size=BATCH
    )


def kpi_accounts_mark(account_ids: Iterable[int], *, now: datetime | None = None) -> None:
    """Mark accounts for a refresh and queue one after the current transaction commits."""
    ids = sorted({pk for pk in account_ids if pk is not None})
    if not ids:
        return
    at = now or timezone.now()
    KpiDirtyAccount.objects.bulk_create(
        [KpiDirtyAccount(account_id=pk, marked_at=at) for pk in ids],
        update_conflicts=True,
        unique_fields=["account_id"],
        update_fields=["marked_at"],
    )
    from ..tasks import kpi_facts_refresh_task

    transaction.on_commit(lambda: kpi_facts_refresh_task.apply_async(countdown=KPI_REFRESH_DELAY))


def kpi_marked_refresh(*, limit: int | None = None) -> int:
    """Refresh the marked accounts (all, or the first ``limit``); returns how many."""
    marked = KpiDirtyAccount.objects.order_by("account_id").values_list("account_id", flat=True)
    ids: Sequence[int] = list(marked[:limit] if limit else marked)
    for start in range(0, len(ids), 1000):
        kpi_facts_refresh(account_ids=ids[start : start + 1000])
    return len(ids)


def kpi_state_usable() -> bool:
    """Whether the cells can answer: built with today's settings."""
    state = KpiFactState.objects.filter(key="facts").values_list("fingerprint", flat=True).first()
    return state is not None and state == fingerprint()
