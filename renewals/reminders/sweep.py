"""The sweeps: in this process (``reminder_sweep``) or one task per batch (nightly)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from renewals.models import ReminderAudience

from .claims import reminders_claim_and_queue
from .due import DueBatch, DueRow, customer_reminders_due, due_batches, reminders_due

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    due: int
    claimed: int
    customer_due: int = 0
    customer_claimed: int = 0


def _count(batches: Sequence[DueBatch], audience: str) -> int:
    return sum(len(batch.rows) for batch in batches if batch.audience == audience)


def reminder_sweep(*, today: date | None = None, batch_size: int | None = None) -> SweepResult:
    """Claim and queue every reminder due today, in this process (see the module docstring).

    What ``manage.py repair reminders`` runs; the nightly job spreads the same batches
    over the workers instead (``reminder_sweep_dispatch``).
    """
    today = today or timezone.localdate()
    batches = due_batches(today=today, batch_size=batch_size)
    claimed: dict[str, int] = {ReminderAudience.CSM: 0, ReminderAudience.CUSTOMER: 0}
    for batch in batches:
        claimed[batch.audience] += reminders_claim_and_queue(batch.rows, today=today, audience=batch.audience)
    result = SweepResult(
        due=_count(batches, ReminderAudience.CSM),
        claimed=claimed[ReminderAudience.CSM],
        customer_due=_count(batches, ReminderAudience.CUSTOMER),
        customer_claimed=claimed[ReminderAudience.CUSTOMER],
    )
    if batches:
        logger.info(
            "renewal reminders: %s due, %s claimed by this run; customer: %s due, %s claimed",
            result.due,
            result.claimed,
            result.customer_due,
            result.customer_claimed,
        )
    return result


@dataclass(frozen=True)
class DispatchResult:
    due: int
    customer_due: int
    tasks: int


def reminder_sweep_dispatch(*, today: date | None = None, batch_size: int | None = None) -> DispatchResult:
    """The nightly sweep: find what is owed (set-based) and send one task per batch.

    Each ``reminder_batch_task`` gets its renewals' ids and claims and queues what they
    are still owed when it runs (``reminders_claim_owed``), in one transaction, so the
    batches run in parallel on every worker process. Nothing is claimed here: a task
    lost with its worker is redelivered (late acknowledgement), and what it did not
    commit is still owed, so the next sweep (or ``manage.py repair reminders``) finds it
    again; a batch run twice claims nothing the second time.
    """
    from renewals.tasks import reminder_batch_task  # tasks import this module

    today = today or timezone.localdate()
    batches = due_batches(today=today, batch_size=batch_size)
    for batch in batches:
        reminder_batch_task.delay(
            renewal_ids=[renewal_id for renewal_id, _threshold, _due in batch.rows],
            today=today.isoformat(),
            audience=batch.audience,
        )
    result = DispatchResult(
        due=_count(batches, ReminderAudience.CSM),
        customer_due=_count(batches, ReminderAudience.CUSTOMER),
        tasks=len(batches),
    )
    if batches:
        logger.info(
            "renewal reminders: %s due, %s to customers; %s batch tasks sent",
            result.due,
            result.customer_due,
            result.tasks,
        )
    return result


def reminders_claim_owed(renewal_ids: Sequence[int], *, today: date, audience: str) -> int:
    """What these renewals are still owed today, claimed and queued (the batch task).

    Asked again rather than taken from the dispatcher: a renewal closed, or a reminder
    sent by another run, since the batch was sent is not reminded again.
    """
    due = reminders_due if audience == ReminderAudience.CSM else customer_reminders_due
    owed = due(today=today).filter(pk__any_of=list(renewal_ids))
    rows: list[DueRow] = list(owed.values_list("pk", "threshold", "due_date"))  # type: ignore[misc]
    return reminders_claim_and_queue(rows, today=today, audience=audience) if rows else 0
