"""The daily renewal reminder sweep: each (renewal, threshold) reminded exactly once.

The rule
--------
Thresholds are ``settings.HOURGLASS_RENEWAL_REMINDER_DAYS`` (default 90, 60, 30, 7
days before the renewal date, in the deployment's local date). On each run, a
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

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import KeyPersonLevel, Stakeholder
from accounts.timeline import TimelineDraft, timeline_record_many
from core.formatting import money
from core.notifications import NotificationDraft, notifications_send, user_language
from core.outbox import EmailDraft, emails_enqueue

from .models import ContractStatus, ReminderAudience, RenewalOpportunity, RenewalReminder, RenewalStatus

logger = logging.getLogger(__name__)

# Committed renewals are the customer's "yes"; reminders chase the undecided ones.
REMINDER_STATUSES = (RenewalStatus.OPEN, RenewalStatus.AT_RISK)


def reminder_thresholds() -> list[int]:
    """Configured thresholds, most urgent first (e.g. [7, 30, 60, 90])."""
    return sorted({int(days) for days in settings.HOURGLASS_RENEWAL_REMINDER_DAYS if int(days) >= 0})


def threshold_reached(days_left: int, thresholds: Sequence[int] | None = None) -> int | None:
    """The most urgent threshold reached with ``days_left`` to go (None: not yet)."""
    reached = [days for days in (thresholds or reminder_thresholds()) if days_left <= days]
    return min(reached) if reached else None


# The outbox renders reminder emails when it delivers them, with this renderer
# (``reminder_emails.reminder_email_render``, registered by the app's config).
REMINDER_RENDERER = "renewals.reminder"


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
    oldest = today - timedelta(days=settings.HOURGLASS_RENEWAL_REMINDER_OVERDUE_DAYS)
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


@dataclass(frozen=True)
class SweepResult:
    due: int
    claimed: int
    customer_due: int = 0
    customer_claimed: int = 0


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
    from .tasks import reminder_batch_task  # tasks import this module

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


# (claim id, email id, recipient user id, recipient address, skipped reason)
_ClaimOutcome = tuple[int, int | None, int | None, str, str]


@dataclass
class _Batch:
    """What one batch writes, collected while each reminder is rendered, written at once."""

    now: Any
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
            reminder.sent_at = self.now
            reminder.email = messages[key]
            reminder.recipient_id = recipient_id
            reminder.recipient_email = address
        claims: list[_ClaimOutcome] = [
            (reminder.pk, messages[key].pk, recipient_id, address, "")
            for reminder, key, recipient_id, address in self.sent
        ]
        claims += [(reminder.pk, None, None, "", reason) for reminder, reason in self.skipped]
        _claims_record(claims, sent_at=self.now)


def _claims_record(claims: list[_ClaimOutcome], *, sent_at: Any) -> None:
    """Record on each claim what became of it — (claim id, email id, recipient id,
    recipient address, skipped reason); a claim with an email was queued at ``sent_at`` —
    in one ``UPDATE … FROM (VALUES …)`` (PostgreSQL and SQLite ≥ 3.33 alike).
    ``bulk_update`` would do it too, but builds a CASE per row and field: seconds of
    Python for a few hundred claims.
    """
    if not claims:
        return
    table = connection.ops.quote_name(RenewalReminder._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(claims))
    # The casts type the columns that may hold only NULLs (PostgreSQL makes those text).
    sql = (
        f"UPDATE {table} SET "  # noqa: S608 - the model's table name and placeholders only
        f"sent_at = CASE WHEN v.column2 IS NULL THEN {table}.sent_at ELSE %s END, "
        "email_id = CAST(v.column2 AS bigint), recipient_id = CAST(v.column3 AS bigint), "
        "recipient_email = v.column4, skipped_reason = v.column5 "
        f"FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [connection.ops.adapt_datetimefield_value(sent_at), *(value for claim in claims for value in claim)],
        )


def reminders_claim_owed(renewal_ids: Sequence[int], *, today: date, audience: str) -> int:
    """What these renewals are still owed today, claimed and queued (the batch task).

    Asked again rather than taken from the dispatcher: a renewal closed, or a reminder
    sent by another run, since the batch was sent is not reminded again.
    """
    due = reminders_due if audience == ReminderAudience.CSM else customer_reminders_due
    owed = due(today=today).filter(pk__any_of=list(renewal_ids))
    rows: list[DueRow] = list(owed.values_list("pk", "threshold", "due_date"))  # type: ignore[misc]
    return reminders_claim_and_queue(rows, today=today, audience=audience) if rows else 0


# What queuing a claimed reminder reads (``only()``): a batch builds six model instances
# per reminder, and the renewal, account, owner and contract have some 50 columns more.
CLAIM_COLUMNS = (
    "threshold_days",
    "days_left",
    "audience",
    "recipient",
    "recipient_email",
    "renewal__status",
    "renewal__due_date",
    "renewal__account__name",
    "renewal__account__owner__email",
    "renewal__account__owner__cs_profile__language",
    "renewal__contract__arr",
    "renewal__contract__customer_language",
)


@transaction.atomic
def reminders_claim_and_queue(rows: Sequence[DueRow], *, today: date, audience: str) -> int:
    """Claim ``rows`` and queue a reminder for each claim this call won; returns how many.

    One transaction: a failure (or a killed worker) leaves nothing claimed, so the
    reminders stay owed. Rows another run claimed first are skipped.
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    RenewalReminder.objects.bulk_create(
        [
            RenewalReminder(
                renewal_id=renewal_id,
                threshold_days=threshold_days,
                audience=audience,
                due_date=due_date,
                days_left=(due_date - today).days,
                claim_token=token,
                claimed_at=now,
            )
            for renewal_id, threshold_days, due_date in rows
        ],
        ignore_conflicts=True,
    )
    mine = list(
        RenewalReminder.objects.filter(claim_token=token)
        .select_related("renewal__account__owner__cs_profile", "renewal__contract")
        .only(*CLAIM_COLUMNS)
        .order_by("pk")
    )
    batch = _Batch(now=now)
    if audience == ReminderAudience.CUSTOMER:
        contacts = decision_makers(account_ids={reminder.renewal.account_id for reminder in mine})
        for reminder in mine:
            _queue_customer_reminder(
                reminder, contacts=contacts.get(reminder.renewal.account_id, []), now=now, batch=batch
            )
    else:
        at_risk = [reminder.renewal for reminder in mine if reminder.renewal.status == RenewalStatus.AT_RISK]
        managers = managers_of({renewal.account.owner_id for renewal in at_risk})
        for reminder in mine:
            _queue_reminder(reminder, now=now, batch=batch, managers=managers)
    batch.write()
    return len(mine)


def managers_of(user_ids: set[int | None]) -> dict[int, tuple[int, str]]:
    """The team lead (id, email) of each of these users that has one: one query, none
    for no users. Read through the relations by name: renewals may not import capacity."""
    leads = (
        get_user_model()
        .objects.filter(pk__in=[pk for pk in user_ids if pk is not None], cs_profile__team__lead__isnull=False)
        .values_list("pk", "cs_profile__team__lead_id", "cs_profile__team__lead__email")
    )
    return {pk: (lead_id, email) for pk, lead_id, email in leads}


def reminder_subject(*, account_name: str, days_left: int) -> str:
    if days_left < 0:
        return _("Renewal overdue by %(days)s days: %(account)s") % {"days": -days_left, "account": account_name}
    if days_left == 0:
        return _("Renewal due today: %(account)s") % {"account": account_name}
    return _("Renewal in %(days)s days: %(account)s") % {"days": days_left, "account": account_name}


def reminder_summary(renewal: RenewalOpportunity) -> str:
    """The one line under a reminder's title (in-app notification, timeline), in the
    active language."""
    return _("Renewal date %(date)s · ARR %(arr)s · %(status)s") % {
        "date": renewal.due_date.isoformat(),
        "arr": money(renewal.contract.arr),
        "status": renewal.get_status_display(),
    }


def _queue_reminder(
    reminder: RenewalReminder, *, now: Any, batch: _Batch, managers: dict[int, tuple[int, str]]
) -> None:
    """One CSM reminder (subject and summary in the owner's language) into ``batch``; no
    SQL. The email's bodies are rendered by the outbox when it delivers
    (``reminder_emails.reminder_email_render``)."""
    renewal = reminder.renewal
    account = renewal.account
    owner = account.owner
    assert owner is not None  # reminders_due() only picks accounts with an owner
    path = reverse("renewals:detail", args=[renewal.pk])
    cc: list[str] = []
    if renewal.status == RenewalStatus.AT_RISK:
        manager_id, manager_email = managers.get(owner.pk, (None, ""))
        if manager_id != owner.pk and manager_email:
            cc.append(manager_email)
    key = dedupe_key(renewal.pk, reminder.threshold_days)
    with translation.override(user_language(owner)):
        subject = reminder_subject(account_name=account.name, days_left=reminder.days_left)
        batch.emails.append(
            EmailDraft(
                dedupe_key=key,
                to=[owner.email],
                cc=cc,
                subject=subject,
                render_with=REMINDER_RENDERER,
                render_args={"reminder_id": reminder.pk},
            )
        )
        summary = reminder_summary(renewal)
        batch.notifications.append(
            NotificationDraft(
                recipient=owner, kind="renewal_reminder", title=subject, body=summary, url=path, dedupe_key=key
            )
        )
        entry = TimelineDraft(
            account=account,
            kind="renewal_reminder_sent",
            title=subject,
            body=summary,
            actor=None,
            data={
                "renewal_id": renewal.pk,
                "threshold_days": reminder.threshold_days,
                "days_left": reminder.days_left,
            },
            dedupe_key=key,
        )
        batch.timeline.append((entry, key))
    batch.sent.append((reminder, key, owner.pk, reminder.recipient_email))


def decision_makers(*, account_ids: set[int]) -> dict[int, list[Stakeholder]]:
    """Active level-1 contacts of these accounts, oldest first: one query."""
    found: dict[int, list[Stakeholder]] = {}
    if not account_ids:
        return found
    for person in Stakeholder.objects.filter(
        account_id__in=account_ids, key_level=KeyPersonLevel.DECISION_MAKER, is_active=True
    ).order_by("pk"):
        found.setdefault(person.account_id, []).append(person)
    return found


def customer_language(contract: Any) -> str:
    return contract.customer_language or settings.HOURGLASS_RENEWAL_CUSTOMER_LANGUAGE


def customer_reminder_subject(*, account_name: str, due_date: date) -> str:
    return _("Your subscription renews on %(date)s: %(account)s") % {
        "date": due_date.isoformat(),
        "account": account_name,
    }


def _queue_customer_reminder(
    reminder: RenewalReminder, *, contacts: list[Stakeholder], now: Any, batch: _Batch
) -> None:
    """One customer reminder (subject in the customer's language) into ``batch``; no SQL.
    The outbox renders the bodies when it delivers, for this contact."""
    renewal = reminder.renewal
    account = renewal.account
    contract = renewal.contract
    contact = next((person for person in contacts if person.email), None)
    if contact is None:
        # Recorded on the claim (visible in the admin and on the renewal), never retried
        # for this threshold: the next threshold tries again.
        reason = (
            gettext_noop("The level-1 contact has no email address.")
            if contacts
            else gettext_noop("No level-1 contact (contract decision maker) on the account.")
        )
        batch.skipped.append((reminder, reason))
        logger.info("customer reminder %s for renewal %s not sent: %s", reminder.threshold_days, renewal.pk, reason)
        return
    owner = account.owner
    key = dedupe_key(renewal.pk, reminder.threshold_days, ReminderAudience.CUSTOMER)
    with translation.override(customer_language(contract)):
        subject = customer_reminder_subject(account_name=account.name, due_date=renewal.due_date)
        batch.emails.append(
            EmailDraft(
                dedupe_key=key,
                to=[contact.email],
                cc=[owner.email] if owner is not None and owner.email else [],
                subject=subject,
                render_with=REMINDER_RENDERER,
                render_args={"reminder_id": reminder.pk, "contact_id": contact.pk},
            )
        )
    with translation.override(settings.LANGUAGE_CODE):
        entry = TimelineDraft(
            account=account,
            kind="renewal_customer_reminder_sent",
            title=_("Renewal reminder sent to %(name)s") % {"name": contact.name},
            body=subject,
            actor=None,
            data={
                "renewal_id": renewal.pk,
                "threshold_days": reminder.threshold_days,
                "stakeholder_id": contact.pk,
            },
            dedupe_key=key,
        )
        batch.timeline.append((entry, key))
    batch.sent.append((reminder, key, reminder.recipient_id, contact.email))
