"""The email outbox: enqueue once, claim atomically, send, retry with backoff.

Guarantees (see README "Delivery guarantees"):
- ``email_enqueue`` with the same ``dedupe_key`` creates one row, however often it runs.
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
from collections.abc import Sequence
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
    recipients = [address for address in to if address]
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    try:
        with transaction.atomic():
            message = OutboundEmail.objects.create(
                dedupe_key=dedupe_key,
                to=recipients,
                cc=[address for address in cc if address and address not in recipients],
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return OutboundEmail.objects.get(dedupe_key=dedupe_key), False
    from .tasks import email_deliver_task

    transaction.on_commit(lambda: email_deliver_task.delay(message_id=message.pk))
    return message, True


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
