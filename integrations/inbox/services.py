"""Writes of the inbox: store what the listener received, match it, assign it by hand."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Stakeholder, TimelineEntry, TouchpointKind
from accounts.selectors import account_scope
from accounts.timeline import touchpoint_log
from core.types import AnyUser

from .models import InboundEmail, InboundStatus, MatchedBy
from .parsing import parse_email
from .selectors import account_for_email, customer_addresses, sender_for, stakeholders_with_addresses

logger = logging.getLogger(__name__)


class Received(enum.Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    UNKNOWN_SENDER = "unknown_sender"


@dataclass(frozen=True)
class ReceiveResult:
    outcome: Received
    email: InboundEmail | None = None


def inbound_email_receive(*, raw: bytes, envelope_from: str) -> ReceiveResult:
    """Store one message the listener accepted, once per Message-ID; nothing for a stranger."""
    parsed = parse_email(raw)
    sender = sender_for(envelope_from=envelope_from, from_addresses=parsed.from_addresses)
    if sender is None:
        return ReceiveResult(Received.UNKNOWN_SENDER)
    existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return ReceiveResult(Received.DUPLICATE, existing)
    email = InboundEmail(
        message_id=parsed.message_id,
        sender=sender,  # type: ignore[misc]  # an active user, never anonymous
        envelope_from=envelope_from[:320],
        from_header=parsed.from_header,
        subject=parsed.subject,
        to_addresses=parsed.to_addresses,
        forwarded_addresses=parsed.forwarded_addresses,
        sent_at=parsed.sent_at,
        body=parsed.body,
        attachments=parsed.attachments,
        defects=parsed.defects,
        size=parsed.size,
    )
    try:
        with transaction.atomic():
            email.save(force_insert=True)
    except IntegrityError:  # the same message arrived twice at once: the other one won
        return ReceiveResult(Received.DUPLICATE, InboundEmail.objects.get(message_id=parsed.message_id))
    return ReceiveResult(Received.STORED, email)


def _timeline_text(email: InboundEmail) -> tuple[str, str]:
    """Title and body of the touchpoint; attachment names after a paperclip (not stored)."""
    title = email.subject or " ".join(email.body.split())[:80] or "—"
    body = email.body
    if email.attachments:
        names = ", ".join(str(a.get("name", "")) for a in email.attachments)
        body = f"{body}\n\n📎 {names}".strip()
    return title, body


def _occurred_at(email: InboundEmail) -> datetime:
    """The Date: header, unless it is missing or in the future (a wrong clock, a forgery)."""
    if email.sent_at is not None and email.sent_at <= timezone.now():
        return email.sent_at
    return email.received_at


def _log_touchpoint(
    email: InboundEmail, *, account: Account, stakeholders: list[Stakeholder], matched_by: str
) -> TimelineEntry:
    title, body = _timeline_text(email)
    entry = touchpoint_log(
        actor=email.sender,
        account=account,
        kind=TouchpointKind.EMAIL,
        title=title,
        body=body,
        occurred_at=_occurred_at(email),
        stakeholders=stakeholders,
    )
    data = {"inbound_email": email.pk, "attachments": [a.get("name") for a in email.attachments]}
    TimelineEntry.objects.filter(pk=entry.pk).update(data=data)
    email.account, email.timeline_entry, email.matched_by = account, entry, matched_by
    email.matched_at = timezone.now()
    return entry


@transaction.atomic
def inbound_email_match(*, email_id: int) -> InboundEmail | None:
    """Put a pending email on its account's timeline, or park it as unmatched.

    Idempotent: only a row still pending is worked on (locked), so a second run is a no-op.
    """
    email = InboundEmail.objects.select_for_update().filter(pk=email_id, status=InboundStatus.PENDING).first()
    if email is None:
        return None
    match = account_for_email(email=email)
    if match is None:
        email.status = InboundStatus.UNMATCHED
        email.save(update_fields=["status"])
        return email
    _log_touchpoint(email, account=match.account, stakeholders=match.stakeholders, matched_by=match.matched_by)
    email.status = InboundStatus.MATCHED
    email.save(update_fields=["status", "account", "timeline_entry", "matched_by", "matched_at"])
    return email


def inbound_emails_match_pending() -> int:
    """Match what a crash left pending (``runinbox`` runs it when it starts)."""
    ids = list(InboundEmail.objects.filter(status=InboundStatus.PENDING).values_list("pk", flat=True))
    done = 0
    for email_id in ids:
        try:
            done += inbound_email_match(email_id=email_id) is not None
        except Exception:  # one bad row must not keep the listener from starting
            logger.exception("inbox: matching email %s failed", email_id)
    return done


def _lock_unmatched(email: InboundEmail) -> InboundEmail:
    locked = InboundEmail.objects.select_for_update().select_related("sender").get(pk=email.pk)
    if locked.status != InboundStatus.UNMATCHED:
        raise ValidationError({"account": _("This email is no longer waiting for an account.")})
    return locked


@transaction.atomic
def inbound_email_dismiss(*, email: InboundEmail, actor: AnyUser) -> InboundEmail:
    """Drop a parked email from the unmatched inbox without a timeline entry."""
    locked = _lock_unmatched(email)
    locked.status, locked.matched_at = InboundStatus.DISMISSED, timezone.now()
    locked.assigned_by = actor  # type: ignore[assignment]
    locked.save(update_fields=["status", "matched_at", "assigned_by"])
    return locked


@transaction.atomic
def inbound_email_assign(*, email: InboundEmail, account: Account, actor: AnyUser) -> InboundEmail:
    """The CSM (or their manager, or an admin) picks the account of an unmatched email."""
    locked = _lock_unmatched(email)
    if not account_scope(user=actor).filter(pk=account.pk).exists():
        raise ValidationError({"account": _("Pick one of your accounts.")})
    addresses = customer_addresses([*locked.to_addresses, *locked.forwarded_addresses])
    stakeholders = stakeholders_with_addresses(accounts=Account.objects.filter(pk=account.pk), addresses=addresses)
    _log_touchpoint(locked, account=account, stakeholders=stakeholders, matched_by=MatchedBy.MANUAL)
    locked.status = InboundStatus.ASSIGNED
    locked.assigned_by = actor  # type: ignore[assignment]
    locked.save(update_fields=["status", "account", "timeline_entry", "matched_by", "matched_at", "assigned_by"])
    return locked
