"""What marks an account's KPI facts for a refresh: saves and deletes of the rows they
are built from, lapsed renewals, rollup writes (``health.signals.rollups_written``) and
the ledger's per-account update (its task's ``task_postrun``).

Nothing is written inside the changing transaction: the accounts are collected per
thread and marked once it commits (one upsert), so a rolled-back change marks nothing
for sure and the writers' own query counts are unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.db import transaction

_pending = threading.local()


def _ids() -> set[int]:
    if not hasattr(_pending, "ids"):
        _pending.ids = set()
    found: set[int] = _pending.ids
    return found


def _flush() -> None:
    ids = _ids()
    if not ids:
        return  # an earlier callback of the same commit took them
    taken = set(ids)
    ids.clear()
    from .services import kpi_accounts_mark

    kpi_accounts_mark(taken)


def accounts_changed(account_ids: Iterable[int | None]) -> None:
    """Mark these accounts once the current transaction commits (at once outside one).

    Left pending by a rollback they are marked with the thread's next commit: one
    refresh too many, never one too few."""
    found = {pk for pk in account_ids if pk is not None}
    if not found:
        return
    _ids().update(found)
    transaction.on_commit(_flush)


def on_account_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    accounts_changed([instance.pk])


def on_account_row_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A contract, renewal or purchased product saved or deleted: its account."""
    accounts_changed([getattr(instance, "account_id", None)])


def on_renewals_lapsed(sender: Any, renewals: list[tuple[int, int]], **kwargs: Any) -> None:
    accounts_changed(account_id for _renewal_id, account_id in renewals)


def on_rollups_written(sender: Any, account_ids: Iterable[int], **kwargs: Any) -> None:
    accounts_changed(account_ids)


def on_ledger_account_updated(
    sender: Any = None, kwargs: dict[str, Any] | None = None, state: str = "", **extra: Any
) -> None:
    """The ledger's per-account task finished (``task_postrun``): its quarter rows are new,
    so the account's ledger cells follow (after it, never racing it)."""
    if state == "SUCCESS" and kwargs:
        accounts_changed([kwargs.get("account_id")])


def connect() -> None:
    """Called by ``RenewalsConfig.ready``."""
    from django.db.models.signals import post_delete, post_save

    from accounts.models import Account, PurchasedProduct
    from health.signals import rollups_written

    from ..models import Contract, RenewalOpportunity
    from ..signals import renewals_lapsed

    for signal in (post_save, post_delete):
        name = "saved" if signal is post_save else "deleted"
        signal.connect(on_account_saved, sender=Account, dispatch_uid=f"renewals.kpi_facts.account_{name}")
        for model in (Contract, RenewalOpportunity, PurchasedProduct):
            signal.connect(
                on_account_row_saved,
                sender=model,
                dispatch_uid=f"renewals.kpi_facts.{model._meta.model_name}_{name}",
            )
    renewals_lapsed.connect(on_renewals_lapsed, dispatch_uid="renewals.kpi_facts.lapsed")
    rollups_written.connect(on_rollups_written, dispatch_uid="renewals.kpi_facts.rollups")

    from celery.signals import task_postrun

    from ..ledger import arr_ledger_account_task

    task_postrun.connect(on_ledger_account_updated, sender=arr_ledger_account_task, weak=False)
