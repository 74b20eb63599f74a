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
- A message may be *rendered at delivery* (as django-post_office's
  ``render_on_delivery``): enqueued with a renderer's name and its JSON arguments
  instead of bodies, so a job that queues hundreds of emails only decides and records
  them, and the rendering runs in the delivery workers, in parallel. The first attempt
  renders and stores the bodies (retries send exactly that); a renderer that fails is
  a failed attempt like an SMTP error (retried, then failed with the error shown).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

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


# (text body, HTML body) of a message rendered at delivery, from its JSON arguments.
EmailRenderer = Callable[..., tuple[str, str]]
_RENDERERS: dict[str, EmailRenderer] = {}


def email_renderer_register(name: str, renderer: EmailRenderer) -> None:
    """Make ``renderer`` available to messages enqueued with ``render_with=name`` (an app's
    ``AppConfig.ready``: core imports no app). The name is stored in the outbox rows, so it
    must stay the same across releases."""
    _RENDERERS[name] = renderer


@dataclass(frozen=True)
class EmailDraft:
    """One email for ``emails_enqueue``: what ``email_enqueue`` takes, as a value.

    Either the bodies, or ``render_with`` (a registered renderer) and its JSON-serialisable
    ``render_args``: rendered by the delivery worker on the first attempt.
    """

    dedupe_key: str
    to: Sequence[str]
    subject: str
    body_text: str = ""
    body_html: str = ""
    cc: Sequence[str] = ()
    render_with: str = ""
    render_args: Mapping[str, Any] = field(default_factory=dict)


def _outbound(draft: EmailDraft) -> OutboundEmail:
    recipients = [address for address in draft.to if address]
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    if draft.render_with:
        if draft.render_with not in _RENDERERS:
            raise ValueError(f"no email renderer registered as {draft.render_with!r}")
    elif not draft.body_text:
        raise ValueError("an email needs a text body or a renderer")
    return OutboundEmail(
        dedupe_key=draft.dedupe_key,
        to=recipients,
        cc=[address for address in draft.cc if address and address not in recipients],
        subject=draft.subject[:300],
        body_text=draft.body_text,
        body_html=draft.body_html,
        render_with=draft.render_with,
        render_args=dict(draft.render_args),
        next_attempt_at=timezone.now(),
    )


def email_bodies(message: OutboundEmail) -> tuple[str, str]:
    """The message's (text, HTML) bodies: stored, or rendered now by its renderer when
    it has not been attempted yet (nothing is saved: delivery stores what it sends)."""
    if message.body_text or not message.render_with:
        return message.body_text, message.body_html
    renderer = _RENDERERS.get(message.render_with)
    if renderer is None:
        raise LookupError(f"no email renderer registered as {message.render_with!r}")
    return renderer(**message.render_args)


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
    attempts = message.attempts + 1
    rendered = not message.body_text and bool(message.render_with)
    try:
        body_text, body_html = email_bodies(message)
        if rendered:  # kept before sending: a retry sends exactly this
            OutboundEmail.objects.filter(pk=message.pk).update(body_text=body_text, body_html=body_html)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=list(message.to),
            cc=list(message.cc),
            headers={"Message-ID": _message_id(message)},
        )
        if body_html:
            email.attach_alternative(body_html, "text/html")
        get_connection(fail_silently=False).send_messages([email])
    except Exception as exc:  # noqa: BLE001 - any rendering, SMTP or network failure is retried
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
