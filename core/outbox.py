"""The email outbox: enqueue once, claim atomically, send, retry with backoff.

Guarantees (see README "Delivery guarantees"):
- ``email_enqueue`` with the same ``dedupe_key`` creates one row, however often it runs;
  ``emails_enqueue`` does the same for a whole batch in two queries (an insert that
  skips existing keys, then one read of the batch's rows).
- ``email_deliver`` / ``email_deliver_many`` send only what they won in an atomic claim
  (one ``UPDATE … RETURNING``), so two workers never both send a message. A worker
  claims up to ``CLAIM_CHUNK`` messages at a time, with a lease of
  ``HOURGLASS_OUTBOX_LEASE_SECONDS`` that it extends (a heartbeat: one UPDATE for the
  rows it still holds) every third of the lease while it works through them.
- Messages go out one SMTP transaction each over a kept-open connection, and each is
  marked sent right after the server's 250 reply by ``_Marks``: one fixed statement,
  built before the first message, on the connection the claim already opened, in a
  transaction of its own (on PostgreSQL with ``synchronous_commit`` off for it) and with
  nothing else between the reply and the statement. Once its bytes have left the worker
  the database commits it even if the worker dies that instant, so the window in which a
  killed worker leaves a delivered message unmarked is the SMTP server's handling of the
  data and its 250, plus the worker's part (reading the 250, writing the statement),
  which is all this module can shorten (docs/delivery.md has both measured).
- A worker that dies leaves its claimed rows "sending"; once their lease has run out
  (at most ``HOURGLASS_OUTBOX_LEASE_SECONDS`` after the death) the flush, every
  ``HOURGLASS_OUTBOX_FLUSH_SECONDS``, re-claims and sends them, so nothing is lost. (If
  it died in that window, or the database server itself crashed before the asynchronous
  commit reached its disk, that message goes out again: the Message-ID is derived from
  the dedupe key, so mail systems can collapse the copy. A duplicate, never a loss.
  Closing the gap entirely would need the SMTP server's cooperation.) docs/delivery.md
  describes the measured figures.
- SMTP failures are retried with exponential backoff, then marked failed (visible in
  the admin's outbox list) after ``MAX_ATTEMPTS``.
  A permanent refusal of every recipient (5xx to RCPT TO) is failed at once and
  announced by ``email_permanently_failed`` (outreach marks the address bounced).
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
import smtplib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Messages one worker claims at once: small, so parallel deliveries share a large batch
# and a dead worker holds few messages until their lease runs out.
CLAIM_CHUNK = 20


def claim_lease() -> timedelta:
    """How long a claim holds without a heartbeat (``HOURGLASS_OUTBOX_LEASE_SECONDS``)."""
    return timedelta(seconds=settings.HOURGLASS_OUTBOX_LEASE_SECONDS)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


# (text body, HTML body) of a message rendered at delivery, from its JSON arguments.
EmailRenderer = Callable[..., tuple[str, str]]
_RENDERERS: dict[str, EmailRenderer] = {}
# Extra headers of a rendered message (e.g. List-Unsubscribe), from the same arguments.
EmailHeaders = Callable[..., Mapping[str, str]]
_HEADERS: dict[str, EmailHeaders] = {}

# Sent (synchronously, by the delivery worker) when the SMTP server refuses every recipient
# of a message with a permanent (5xx) answer: the message is failed at once, not retried.
# kwargs: ``message`` (the OutboundEmail), ``addresses`` (refused), ``error`` (the reply).
email_permanently_failed = Signal()


def email_renderer_register(name: str, renderer: EmailRenderer, *, headers: EmailHeaders | None = None) -> None:
    """Make ``renderer`` available to messages enqueued with ``render_with=name`` (an app's
    ``AppConfig.ready``: core imports no app). The name is stored in the outbox rows, so it
    must stay the same across releases. ``headers``, if given, adds headers to each such
    message, from its ``render_args`` (worked out at every attempt, never stored)."""
    _RENDERERS[name] = renderer
    if headers is not None:
        _HEADERS[name] = headers


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


def _update_returning(assignments: str, condition: str, params: Sequence[Any]) -> list[int]:
    """``UPDATE outbox SET <assignments> WHERE <condition> RETURNING id`` (PostgreSQL and
    SQLite ≥ 3.35): the ids it changed, decided row by row by the database itself."""
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    pk = connection.ops.quote_name(OutboundEmail._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {condition} RETURNING {pk}"  # noqa: S608 - names and placeholders
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [row[0] for row in cursor.fetchall()]


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _in(ids: Sequence[int]) -> str:
    return f"{connection.ops.quote_name(OutboundEmail._meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})"


@dataclass
class _Claim:
    """Messages this worker holds: each row's ``claimed_at`` is ``token`` (the time of the
    claim or of the last heartbeat), which is how the heartbeat finds the rows still its own."""

    token: datetime
    ids: list[int]
    renewed: float = field(default_factory=time.monotonic)

    @classmethod
    def take(cls, message_ids: Sequence[int]) -> _Claim:
        """Claim those of ``message_ids`` that are due, or held by a claim past its lease."""
        now = timezone.now()
        sending, queued = OutboundEmail.Status.SENDING, OutboundEmail.Status.QUEUED
        won = set(
            _update_returning(
                "status = %s, claimed_at = %s",
                f"{_in(message_ids)} AND ((status = %s AND next_attempt_at <= %s)"
                " OR (status = %s AND claimed_at < %s))",
                [sending, _db_time(now), *message_ids, queued, _db_time(now), sending, _db_time(now - claim_lease())],
            )
        )
        return cls(token=now, ids=[pk for pk in message_ids if pk in won])

    def heartbeat(self, *, force: bool = False) -> None:
        """Extend the lease of the rows still held (one UPDATE), every third of the lease.
        A row another worker re-claimed meanwhile (this one stalled past its lease) is let go."""
        if not self.ids or (not force and time.monotonic() - self.renewed < claim_lease().total_seconds() / 3):
            return
        now = timezone.now()
        kept = set(
            _update_returning(
                "claimed_at = %s",
                f"{_in(self.ids)} AND status = %s AND claimed_at = %s",
                [_db_time(now), *self.ids, OutboundEmail.Status.SENDING, _db_time(self.token)],
            )
        )
        lost = [pk for pk in self.ids if pk not in kept]
        if lost:
            logger.warning("outbox: lease of emails %s lost to another worker", lost)
        self.token, self.ids, self.renewed = now, [pk for pk in self.ids if pk in kept], time.monotonic()


class _Smtp:
    """One connection kept open over a whole delivery run: an SMTP transaction per message."""

    def __init__(self) -> None:
        self.connection: Any = None

    def send(self, email: EmailMultiAlternatives) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        try:
            self.connection.send_messages([email])  # an open connection stays open
        except Exception:
            self.close()  # the next message starts on a fresh connection
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped all the same
                logger.debug("outbox: closing the SMTP connection failed", exc_info=True)
            self.connection = None


class _Marks:
    """Marks a message sent right after the SMTP server's 250: the only step between the
    reply and durability, so it builds nothing per message.

    The statement is fixed and made once per claim, before the first message goes out, and
    runs on the connection the claim already opened (no ORM compilation, no Django cursor
    wrapper, no logging or signals on the way). On PostgreSQL, when not inside a caller's
    transaction, it is its own transaction (autocommit) and turns ``synchronous_commit``
    off for that transaction only (``set_config(…, true)`` is ``SET LOCAL`` inside the same
    statement): the worker does not wait for the WAL flush. A SIGKILLed worker cannot undo
    a commit the server has; only a database server crash could lose that commit, and the
    message then goes out once more — a duplicate, never a loss. The statement is prepared
    when the database settings opt into prepared statements (``prepare_threshold``, which
    PgBouncer in transaction mode needs to support); parsing it happens on the server, after
    the bytes have left the worker, so it is outside the window either way.
    """

    SENT = OutboundEmail.Status.SENT.value

    def __init__(self) -> None:
        connection.ensure_connection()
        table = connection.ops.quote_name(OutboundEmail._meta.db_table)
        pk = connection.ops.quote_name(OutboundEmail._meta.pk.column)
        self.sql = (
            f"UPDATE {table} SET status = %s, attempts = %s, sent_at = %s, last_error = '' "  # noqa: S608 - names
            f"WHERE {pk} = %s"
        )
        self.raw: Any = None
        self.cursor: Any = None
        self.prepare = False
        if connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block:
            import psycopg

            self.raw = connection.connection
            self.sql += " AND set_config('synchronous_commit', 'off', true) = 'off'"
            self.cursor = psycopg.Cursor(self.raw)  # server-side binding: the parameters travel apart
            self.prepare = self.raw.prepare_threshold is not None

    def sent(self, pk: int, attempts: int) -> None:
        if self.raw is not None and connection.connection is self.raw:
            self.cursor.execute(self.sql, (self.SENT, attempts, timezone.now(), pk), prepare=self.prepare)
        else:  # SQLite, a caller's transaction, or a connection replaced meanwhile
            with connection.cursor() as cursor:
                cursor.execute(self.sql, [self.SENT, attempts, _db_time(timezone.now()), pk])


def _message_id(message: OutboundEmail) -> str:
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@hourglass>"


def _refused(exc: Exception) -> dict[str, str]:
    """The addresses an SMTP server refused for good (5xx), from a failed send; else empty."""
    if not isinstance(exc, smtplib.SMTPRecipientsRefused):
        return {}
    refused = {address: f"{code} {reply!r}" for address, (code, reply) in exc.recipients.items()}
    return refused if all(code >= 500 for code, _reply in exc.recipients.values()) else {}


def _send_one(message: OutboundEmail, smtp: _Smtp, marks: _Marks) -> bool:
    """Render (first attempt), send, and record the outcome of one claimed message in its
    own statement: sent right after the server's 250, or the failed attempt with backoff."""
    attempts = message.attempts + 1
    rendered = not message.body_text and bool(message.render_with)
    try:
        body_text, body_html = email_bodies(message)
        if rendered:  # kept before sending: a retry sends exactly this
            OutboundEmail.objects.filter(pk=message.pk).update(body_text=body_text, body_html=body_html)
        headers = {"Message-ID": _message_id(message)}
        if message.render_with in _HEADERS:
            headers.update(_HEADERS[message.render_with](**message.render_args))
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=list(message.to),
            cc=list(message.cc),
            headers=headers,
        )
        if body_html:
            email.attach_alternative(body_html, "text/html")
        smtp.send(email)
    except Exception as exc:  # noqa: BLE001 - any rendering, SMTP or network failure is retried
        refused = _refused(exc)
        failed = attempts >= MAX_ATTEMPTS or bool(refused)
        OutboundEmail.objects.filter(pk=message.pk).update(
            status=OutboundEmail.Status.FAILED if failed else OutboundEmail.Status.QUEUED,
            attempts=attempts,
            claimed_at=None,
            next_attempt_at=None if failed else timezone.now() + _backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning("email %s failed (attempt %s): %s", message.pk, attempts, exc)
        if refused:  # a permanent refusal: retrying cannot help; receivers mark the addresses
            for receiver, error in email_permanently_failed.send_robust(
                sender=OutboundEmail, message=message, addresses=list(refused), error="; ".join(refused.values())
            ):
                if isinstance(error, Exception):
                    logger.error("outbox: %s failed on email %s: %s", receiver, message.pk, error)
        return False
    # Nothing may run between the 250 and this statement: that gap is the duplicate window.
    # If it fails (database gone) the row stays "sending": its lease, not a retry, decides.
    marks.sent(message.pk, attempts)
    return True


def _deliver_claimed(claim: _Claim, smtp: _Smtp) -> int:
    messages = OutboundEmail.objects.in_bulk(claim.ids)
    marks = _Marks()
    sent = 0
    for pk in list(claim.ids):
        claim.heartbeat()
        if pk not in claim.ids:  # re-claimed by another worker while this one stalled
            continue
        sent += int(_send_one(messages[pk], smtp, marks))
        claim.ids.remove(pk)
    return sent


def email_deliver_many(message_ids: Sequence[int]) -> int:
    """Send those of ``message_ids`` this caller wins, in order, ``CLAIM_CHUNK`` claimed at a
    time, over one SMTP connection. Returns how many were sent now."""
    ids = list(dict.fromkeys(message_ids))
    smtp = _Smtp()
    sent = 0
    try:
        for start in range(0, len(ids), CLAIM_CHUNK):
            claim = _Claim.take(ids[start : start + CLAIM_CHUNK])
            if claim.ids:
                sent += _deliver_claimed(claim, smtp)
    finally:
        smtp.close()
    return sent


def email_deliver(*, message_id: int) -> bool:
    """Send one outbox message if this caller wins the claim. True when it was sent now."""
    return email_deliver_many([message_id]) == 1


def email_due_ids(*, limit: int = 500) -> list[int]:
    """Messages ready for (another) attempt: queued and due, or claimed by a dead worker."""
    now = timezone.now()
    due = Q(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboundEmail.Status.SENDING, claimed_at__lt=now - claim_lease()
    )
    return list(
        OutboundEmail.objects.filter(due).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )


def email_retry(*, message_id: int) -> None:
    """Put a failed message back in the queue (admin action)."""
    OutboundEmail.objects.filter(pk=message_id, status=OutboundEmail.Status.FAILED).update(
        status=OutboundEmail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
