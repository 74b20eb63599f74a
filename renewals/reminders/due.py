"""What is owed today: the thresholds reached, set-based, and the batches to claim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from org.operations_settings import operations_settings
from renewals.models import ContractStatus, ReminderAudience, RenewalOpportunity, RenewalReminder, RenewalStatus

# Committed renewals are the customer's "yes"; reminders chase the undecided ones.
REMINDER_STATUSES = (RenewalStatus.OPEN, RenewalStatus.AT_RISK)


def reminder_thresholds() -> list[int]:
    """Configured thresholds, most urgent first (e.g. [7, 30, 60, 90])."""
    return sorted({int(days) for days in operations_settings().renewal_reminder_days if int(days) >= 0})


def threshold_reached(days_left: int, thresholds: Sequence[int] | None = None) -> int | None:
    """The most urgent threshold reached with ``days_left`` to go (None: not yet)."""
    reached = [days for days in (thresholds or reminder_thresholds()) if days_left <= days]
    return min(reached) if reached else None


def dedupe_key(renewal_id: int, threshold_days: int, audience: str = ReminderAudience.CSM) -> str:
    if audience == ReminderAudience.CUSTOMER:
        return f"renewal-customer-reminder:{renewal_id}:{threshold_days}"
    return f"renewal-reminder:{renewal_id}:{threshold_days}"


def _due(*, today: date, audience: str) -> QuerySet[RenewalOpportunity]:
    thresholds = reminder_thresholds()
    if not thresholds:
        return RenewalOpportunity.objects.none()
    threshold = Case(
        *[When(due_date__lte=today + timedelta(days=days), then=Value(days)) for days in thresholds],
        default=Value(None),
        output_field=IntegerField(),
    )
    already = RenewalReminder.objects.filter(
        renewal=OuterRef("pk"), threshold_days=OuterRef("threshold"), audience=audience
    )
    oldest = today - timedelta(days=operations_settings().renewal_reminder_overdue_days)
    return (
        RenewalOpportunity.objects.filter(
            status__in=REMINDER_STATUSES,
            contract__status=ContractStatus.ACTIVE,
            due_date__lte=today + timedelta(days=max(thresholds)),
            due_date__gte=oldest,
        )
        .annotate(threshold=threshold)
        .exclude(Exists(already))
        .order_by("pk")
    )


def reminders_due(*, today: date) -> QuerySet[RenewalOpportunity]:
    """Renewals owed a CSM reminder today, annotated with ``threshold``: one set-based query."""
    return (
        _due(today=today, audience=ReminderAudience.CSM)
        .filter(account__owner__is_active=True)
        .exclude(Q(account__owner__email="") | Q(account__owner__email__isnull=True))
    )


def customer_reminders_due(*, today: date) -> QuerySet[RenewalOpportunity]:
    """Renewals owed a customer reminder today (contracts that opted in), with ``threshold``."""
    return _due(today=today, audience=ReminderAudience.CUSTOMER).filter(contract__customer_reminders=True)


# One reminder owed: (renewal id, threshold in days, renewal date).
DueRow = tuple[int, int, date]


@dataclass(frozen=True)
class DueBatch:
    """Reminders owed to one audience, claimed and queued together in one transaction."""

    audience: str
    rows: list[DueRow]


def due_batches(*, today: date, batch_size: int | None = None) -> list[DueBatch]:
    """Everything owed today, in batches of ``batch_size`` (settings), CSM ones first.

    Two set-based queries (one per audience). Rows are in primary-key order in every
    batch: concurrent sweeps insert (and wait on) claims in the same order, so they
    queue behind each other instead of deadlocking.
    """
    size = batch_size or settings.HOURGLASS_RENEWAL_REMINDER_BATCH_SIZE
    owed = [(ReminderAudience.CSM, reminders_due(today=today))]
    if settings.HOURGLASS_RENEWAL_CUSTOMER_REMINDERS:
        owed.append((ReminderAudience.CUSTOMER, customer_reminders_due(today=today)))
    batches = []
    for audience, renewals in owed:
        rows: list[DueRow] = list(renewals.values_list("pk", "threshold", "due_date"))  # type: ignore[misc]
        batches += [DueBatch(audience, rows[start : start + size]) for start in range(0, len(rows), size)]
    return batches
