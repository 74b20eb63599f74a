"""The daily renewal reminder sweep: each (renewal, threshold) reminded exactly once.

The rule
--------
Thresholds are an operations setting (``/settings/reminders/``, seeded by
``HOURGLASS_RENEWAL_REMINDER_DAYS``; default 90, 60, 30, 7 days before the renewal
date, in the deployment's local date). On each run, a
renewal that is still open or at risk has *reached* every threshold ``t`` with
``days_left <= t``; it is due a reminder for the **most urgent threshold reached**
(the smallest such ``t``) unless that reminder already exists. So:

- the day a threshold is crossed, its reminder goes out (91 days: nothing; 90: the
  90-day one; 89 the next day: nothing new);
- a renewal created or discovered late (25 days left, nothing sent) gets one
  reminder, the 30-day one, not three; the 90- and 60-day ones are never sent;
- after downtime the missed reminder goes out on the next run, once, with the real
  number of days left (late, not skipped);
- a renewal past its date stays due the most urgent reminder (7 days) until it is
  closed, for ``HOURGLASS_RENEWAL_REMINDER_OVERDUE_DAYS``; older ones are left to
  the renewals page (an import of old contracts must not flood the CSMs' inboxes);
- renewals whose account has no owner with an email address are skipped without a
  claim, so the reminder goes out (late) once someone owns the account.

Exactly once
------------
The ``RenewalReminder`` row is the claim. Each batch runs in one transaction: insert
the claims with ``bulk_create(ignore_conflicts=True)`` (the unique constraint on
``(renewal, threshold_days)`` makes a second inserter skip the row — on PostgreSQL it
waits for the first one's commit, then skips), then for the rows *this* run inserted
(found by its claim token) enqueue the email in the outbox, notify in-app and write
the timeline entry — subject and summary in the recipient's language, written per
batch: one insert each for the emails, notifications and timeline entries and one
update of the claims, so a batch costs the same number of queries whatever its size.
A worker killed mid-batch rolls the whole batch back (claims
included), so the next run redoes it; a committed batch has its emails in the outbox,
which renders their bodies on the first attempt (``reminder_emails``; the facts as
they are then, the days left as claimed), delivers them once, retries SMTP failures
with backoff and rescues messages of a dead worker. The outbox's dedupe key is a
second guard against double sending.

The nightly job (``reminder_sweep_dispatch``) only finds what is owed and sends one
``reminder_batch_task`` per batch, so the batches run on every worker process at once;
``reminder_sweep`` runs them all in the calling process (``manage.py repair reminders``).

Customer reminders
------------------
With ``HOURGLASS_RENEWAL_CUSTOMER_REMINDERS`` on, contracts marked ``customer_reminders``
also get the same thresholds' reminders addressed to the account's level-1 contact
(the contract decision maker, 一级关键人), in the contract's customer language (else
``HOURGLASS_RENEWAL_CUSTOMER_LANGUAGE``). They are claimed the same way under their own
audience, so each (renewal, threshold) reaches the customer at most once. When the
account has no active level-1 contact with an email address the claim is kept with
``skipped_reason`` saying why, and nothing is sent for that threshold.
"""

from __future__ import annotations

from .claims import CLAIM_COLUMNS, reminders_claim_and_queue
from .due import (
    REMINDER_STATUSES,
    DueBatch,
    DueRow,
    customer_reminders_due,
    dedupe_key,
    due_batches,
    reminder_thresholds,
    reminders_due,
    threshold_reached,
)
from .messages import (
    REMINDER_RENDERER,
    customer_language,
    customer_reminder_subject,
    decision_makers,
    managers_of,
    reminder_subject,
    reminder_summary,
)
from .sweep import DispatchResult, SweepResult, reminder_sweep, reminder_sweep_dispatch, reminders_claim_owed

__all__ = [
    "CLAIM_COLUMNS",
    "REMINDER_RENDERER",
    "REMINDER_STATUSES",
    "DispatchResult",
    "DueBatch",
    "DueRow",
    "SweepResult",
    "customer_language",
    "customer_reminder_subject",
    "customer_reminders_due",
    "decision_makers",
    "dedupe_key",
    "due_batches",
    "managers_of",
    "reminder_subject",
    "reminder_summary",
    "reminder_sweep",
    "reminder_sweep_dispatch",
    "reminder_thresholds",
    "reminders_claim_and_queue",
    "reminders_claim_owed",
    "reminders_due",
    "threshold_reached",
]
