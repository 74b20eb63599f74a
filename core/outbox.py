"""The email outbox: enqueue once, claim atomically, send, retry with backoff.

Guarantees (see README "Delivery guarantees"):
- ``email_enqueue`` with the same ``dedupe_key`` creates one row, however often it runs;
  ``emails_enqueue`` does the same for a whole batch in two queries (an insert that
  skips existing keys, then one read of the batch's rows).
- ``email_deliver`` sends only after winning an atomic claim (an UPDATE that matches
  one row), so two workers never both send a message.
- A worker that dies after claiming leaves the row "sending"; after the lease expires
  the sweep re-claims and sends it, so nothing is lost. (If it died after the SMTP
  server accepted the message but before the row was marked sent, the message goes
  out again: the Message-ID is derived from the dedupe key, so mail systems can
  collapse the copy. Closing that last gap would need the SMTP server's cooperation.)
- SMTP failures are retried with exponential backoff, then marked failed (visible in
  the admin's outbox list) after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=5)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


@dataclass(frozen=True)
class EmailDraft:
    """One email for ``emails_enqueue``: what ``email_enqueue`` takes, as a value."""

    dedupe_key: str
    to: Sequence[str]
    subject: str
    body_text: str
    body_html: str = ""
    cc: Sequence[str] = ()


def _outbound(draft: EmailDraft) -> OutboundEmail:
    recipients = [address for address in draft.to if address]
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    return OutboundEmail(
        dedupe_key=draft.dedupe_key,
        to=recipients,
        cc=[address for address in draft.cc if address and address not in recipients],
        subject=draft.subject[:300],
        body_text=draft.body_text,
        body_html=draft.body_html,
        next_attempt_at=timezone.now(),
    )


def email_enqueue(
    *,
    dedupe_key: str,
    to: Sequence[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    cc: Sequence[str] = (),
) -> tuple[OutboundEmail, bool]:
    """Put one email in the outbox (once per ``dedupe_key``); delivery follows commit.

    Returns ``(message, created)``; ``created`` is False when it was already there.
    """
    message = _outbound(
        EmailDraft(dedupe_key=dedupe_key, to=to, subject=subject, body_text=body_text, body_html=body_html, cc=cc)
    )
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return OutboundEmail.objects.get(dedupe_key=dedupe_key), False
    from .tasks import email_deliver_task

    transaction.on_commit(lambda: email_deliver_task.delay(message_id=message.pk))
    return message, True


def emails_enqueue(drafts: Iterable[EmailDraft]) -> dict[str, OutboundEmail]:
    """Put a batch of emails in the outbox, each once per ``dedupe_key``: two queries.

    Returns every draft's outbox row by dedupe key, whether this call created it or it
    was there already (the first draft wins when a key repeats). The queued ones are
    handed to one delivery task after commit; delivery claims each message, so one that
    an earlier call already scheduled is not sent twice.
    """
    rows: dict[str, OutboundEmail] = {}
    for draft in drafts:
        message = _outbound(draft)  # every draft checked before anything is written
        rows.setdefault(message.dedupe_key, message)
    if not rows:
        return {}
    OutboundEmail.objects.bulk_create(rows.values(), ignore_conflicts=True)
    # Re-read: with ignore_conflicts the database returns no ids, and an existing row
    # (from an earlier run) is the one that counts.
    # Only what callers use (ids, status): the bodies were just written, not worth reading back.
    messages = {
        message.dedupe_key: message
        for message in OutboundEmail.objects.only("pk", "dedupe_key", "status").filter(dedupe_key__any_of=list(rows))
    }
    queued = sorted(message.pk for message in messages.values() if message.status == OutboundEmail.Status.QUEUED)
    if queued:
        from .tasks import email_deliver_many_task

        transaction.on_commit(lambda: email_deliver_many_task.delay(message_ids=queued))
    return {key: messages[key] for key in rows if key in messages}


def _claim(message_id: int) -> bool:
    now = timezone.now()
    claimable = Q(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboundEmail.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE
    )
    claimed = OutboundEmail.objects.filter(claimable, pk=message_id).update(
        status=OutboundEmail.Status.SENDING, claimed_at=now
    )
    return claimed == 1


def _message_id(message: OutboundEmail) -> str:
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@hourglass>"


def email_deliver(*, message_id: int) -> bool:
    """Send one outbox message if this caller wins the claim. True when it was sent now."""
    if not _claim(message_id):
        return False
    message = OutboundEmail.objects.get(pk=message_id)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(message.to),
        cc=list(message.cc),
        headers={"Message-ID": _message_id(message)},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    attempts = message.attempts + 1
    try:
        get_connection(fail_silently=False).send_messages([email])
    except Exception as exc:  # noqa: BLE001 - any SMTP/network failure is retried
        failed = attempts >= MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=message.pk).update(
            status=OutboundEmail.Status.FAILED if failed else OutboundEmail.Status.QUEUED,
            attempts=attempts,
            claimed_at=None,
            next_attempt_at=None if failed else timezone.now() + _backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning("email %s failed (attempt %s): %s", message.pk, attempts, exc)
        return False
    OutboundEmail.objects.filter(pk=message.pk).update(
        status=OutboundEmail.Status.SENT, attempts=attempts, sent_at=timezone.now(), last_error=""
    )
    return True


def email_due_ids(*, limit: int = 500) -> list[int]:
    """Messages ready for (another) attempt: queued and due, or claimed by a dead worker."""
    now = timezone.now()
    due = Q(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboundEmail.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE
    )
    return list(
        OutboundEmail.objects.filter(due).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )


def email_retry(*, message_id: int) -> None:
    """Put a failed message back in the queue (admin action)."""
    OutboundEmail.objects.filter(pk=message_id, status=OutboundEmail.Status.FAILED).update(
        status=OutboundEmail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
