"""Celery tasks of the accounts app: ids in, one service call each."""

from __future__ import annotations

from celery import shared_task

from .imports import import_run_execute


@shared_task(name="accounts.import_run_task", ignore_result=True, acks_late=True)
def import_run_task(*, run_id: int) -> str:
    """Import a large CSV file queued by ``import_start``; a second delivery is a no-op."""
    run = import_run_execute(run_id=run_id)
    return run.status if run is not None else "skipped"
