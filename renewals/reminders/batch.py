"""What one batch writes, collected while its reminders are built, written at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import connection

from accounts.timeline import TimelineDraft, timeline_record_many
from core.notifications import NotificationDraft, notifications_send
from core.outbox import EmailDraft, emails_enqueue
from renewals.models import RenewalReminder


@dataclass
class ReminderBatch:
    """What one batch writes: one insert each for the emails, notifications and timeline
    entries and one update of the claims, whatever the batch's size."""

    now: datetime
    emails: list[EmailDraft] = field(default_factory=list)
    notifications: list[NotificationDraft] = field(default_factory=list)
    # The timeline entries name the email's id, known only once the emails are in.
    timeline: list[tuple[TimelineDraft, str]] = field(default_factory=list)
    # (claim, dedupe key of its email, recipient user id, recipient address)
    sent: list[tuple[RenewalReminder, str, int | None, str]] = field(default_factory=list)
    skipped: list[tuple[RenewalReminder, str]] = field(default_factory=list)

    def write(self) -> None:
        messages = emails_enqueue(self.emails)
        if self.notifications:
            notifications_send(self.notifications)
        if self.timeline:
            timeline_record_many(
                replace(entry, data={**entry.data, "email_id": messages[key].pk}) for entry, key in self.timeline
            )
        for reminder, key, recipient_id, address in self.sent:
            reminder.queued_at = self.now
            reminder.email = messages[key]
            reminder.recipient_id = recipient_id
            reminder.recipient_email = address
        outcomes: list[ClaimOutcome] = [
            (reminder.pk, messages[key].pk, recipient_id, address, "")
            for reminder, key, recipient_id, address in self.sent
        ]
        outcomes += [(reminder.pk, None, None, "", reason) for reminder, reason in self.skipped]
        claims_record(outcomes, queued_at=self.now)


# (claim id, email id, recipient user id, recipient address, skipped reason)
ClaimOutcome = tuple[int, int | None, int | None, str, str]


def claims_record(claims: list[ClaimOutcome], *, queued_at: datetime) -> None:
    """Record on each claim what became of it (a claim with an email was queued at
    ``queued_at``) in one ``UPDATE … FROM (VALUES …)`` (PostgreSQL and SQLite ≥ 3.33).

    Not ``bulk_update``: its CASE per row and field costs 25 to 100 times this statement
    for a batch (``bench/claims_record.py``, figures in ``bench/README.md``).
    """
    if not claims:
        return
    table = connection.ops.quote_name(RenewalReminder._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(claims))
    # The casts type the columns that may hold only NULLs (PostgreSQL makes those text).
    sql = (
        f"UPDATE {table} SET "  # noqa: S608 - the model's table name and placeholders only
        f"queued_at = CASE WHEN v.column2 IS NULL THEN {table}.queued_at ELSE %s END, "
        "email_id = CAST(v.column2 AS bigint), recipient_id = CAST(v.column3 AS bigint), "
        "recipient_email = v.column4, skipped_reason = v.column5 "
        f"FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [connection.ops.adapt_datetimefield_value(queued_at), *(value for claim in claims for value in claim)],
        )
